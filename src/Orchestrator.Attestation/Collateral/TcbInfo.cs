using System.Text.Json;

namespace Orchestrator.Attestation.Collateral;

/// <summary>One TCB level of a TCB info: minimum SVNs and the status a platform at or above them has.</summary>
internal sealed record TcbLevel(
    byte[] SgxComponents,
    int PceSvn,
    byte[]? TdxComponents,
    DateTimeOffset TcbDate,
    TcbStatus Status,
    IReadOnlyList<string> AdvisoryIds);

/// <summary>A level of a TDX module identity or of a QE identity: minimum ISV SVN and its status.</summary>
internal sealed record IsvSvnLevel(int IsvSvn, TcbStatus Status, IReadOnlyList<string> AdvisoryIds);

/// <summary>The TDX module identity a TD's MRSIGNERSEAM/SEAMATTRIBUTES must match.</summary>
internal sealed record TdxModuleIdentity(string Id, byte[] MrSigner, byte[] Attributes, byte[] AttributesMask, IReadOnlyList<IsvSvnLevel> Levels);

/// <summary>
/// Intel TCB info, version 2 (SGX, flat <c>sgxtcbcompNNsvn</c> fields, PCS v3 API) or version 3
/// (SGX or TDX, component arrays, TDX module identities, PCS v4 API).
/// </summary>
internal sealed record TcbInfo
{
    public required string Id { get; init; }

    public required int Version { get; init; }

    public required DateTimeOffset IssueDate { get; init; }

    public required DateTimeOffset NextUpdate { get; init; }

    public required byte[] Fmspc { get; init; }

    public required byte[] PceId { get; init; }

    public required int EvaluationDataNumber { get; init; }

    public required IReadOnlyList<TcbLevel> Levels { get; init; }

    public TdxModuleIdentity? TdxModule { get; init; }

    public IReadOnlyList<TdxModuleIdentity> TdxModuleIdentities { get; init; } = [];

    public bool IsTdx => Version >= 3 && Id == "TDX";

    public static TcbInfo Parse(string text)
    {
        using var document = JsonFields.Parse(text, "TCB info");
        var root = document.RootElement;
        const string where = "tcbInfo";
        var version = JsonFields.Int(root, "version", where);
        if (version is not (2 or 3))
        {
            throw JsonFields.Malformed($"TCB info version {version} is not supported (2 and 3 are)");
        }

        var id = version >= 3 ? JsonFields.String(root, "id", where) : "SGX";
        if (id is not ("SGX" or "TDX"))
        {
            throw JsonFields.Malformed($"TCB info id '{id}' is not SGX or TDX");
        }

        var isTdx = id == "TDX";
        var levels = new List<TcbLevel>();
        var index = 0;
        foreach (var level in JsonFields.Array(root, "tcbLevels", where))
        {
            levels.Add(ParseLevel(level, version, isTdx, $"{where}.tcbLevels[{index++}]"));
        }

        return new TcbInfo
        {
            Id = id,
            Version = version,
            IssueDate = JsonFields.Date(root, "issueDate", where),
            NextUpdate = JsonFields.Date(root, "nextUpdate", where),
            Fmspc = JsonFields.Hex(root, "fmspc", where, 6),
            PceId = JsonFields.Hex(root, "pceId", where, 2),
            EvaluationDataNumber = JsonFields.Int(root, "tcbEvaluationDataNumber", where),
            Levels = levels,
            TdxModule = isTdx && root.TryGetProperty("tdxModule", out var module) ? ParseModule(module, "TDX_MODULE", withLevels: false, $"{where}.tdxModule") : null,
            TdxModuleIdentities = isTdx && root.TryGetProperty("tdxModuleIdentities", out var identities)
                ? [.. identities.EnumerateArray().Select((m, i) => ParseModule(m, null, withLevels: true, $"{where}.tdxModuleIdentities[{i}]"))]
                : [],
        };
    }

    private static TcbLevel ParseLevel(JsonElement level, int version, bool isTdx, string where)
    {
        var tcb = JsonFields.Required(level, "tcb", where);
        byte[] sgx;
        byte[]? tdx = null;
        if (version == 2)
        {
            sgx = new byte[16];
            for (var i = 0; i < 16; i++)
            {
                sgx[i] = Svn(JsonFields.Int(tcb, $"sgxtcbcomp{i + 1:D2}svn", where + ".tcb"), where);
            }
        }
        else
        {
            sgx = Components(tcb, "sgxtcbcomponents", where + ".tcb");
            if (isTdx)
            {
                tdx = Components(tcb, "tdxtcbcomponents", where + ".tcb");
            }
        }

        return new TcbLevel(
            sgx,
            JsonFields.Int(tcb, "pcesvn", where + ".tcb"),
            tdx,
            JsonFields.Date(level, "tcbDate", where),
            JsonFields.Status(level, "tcbStatus", where),
            JsonFields.AdvisoryIds(level, where));
    }

    private static byte[] Components(JsonElement tcb, string name, string where)
    {
        var svns = JsonFields.Array(tcb, name, where).Select(c => Svn(JsonFields.Int(c, "svn", $"{where}.{name}"), where)).ToArray();
        return svns.Length == 16 ? svns : throw JsonFields.Malformed($"{where}.{name} has {svns.Length} components, 16 expected");
    }

    private static byte Svn(int value, string where) =>
        value <= 255 ? (byte)value : throw JsonFields.Malformed($"{where}: component SVN {value} exceeds 255");

    private static TdxModuleIdentity ParseModule(JsonElement module, string? fixedId, bool withLevels, string where)
    {
        var levels = new List<IsvSvnLevel>();
        if (withLevels)
        {
            var i = 0;
            foreach (var level in JsonFields.Array(module, "tcbLevels", where))
            {
                var levelWhere = $"{where}.tcbLevels[{i++}]";
                levels.Add(new IsvSvnLevel(
                    JsonFields.Int(JsonFields.Required(level, "tcb", levelWhere), "isvsvn", levelWhere),
                    JsonFields.Status(level, "tcbStatus", levelWhere),
                    JsonFields.AdvisoryIds(level, levelWhere)));
            }
        }

        return new TdxModuleIdentity(
            fixedId ?? JsonFields.String(module, "id", where),
            JsonFields.Hex(module, "mrsigner", where, 48),
            JsonFields.Hex(module, "attributes", where, 8),
            JsonFields.Hex(module, "attributesMask", where, 8),
            levels);
    }
}
