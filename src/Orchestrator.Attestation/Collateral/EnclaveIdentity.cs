namespace Orchestrator.Attestation.Collateral;

/// <summary>
/// Intel enclave identity v2 for the quoting enclave ("QE" for SGX, "TD_QE" for TDX): the
/// expected MRSIGNER, ISVPRODID, masked MISCSELECT and ATTRIBUTES, and ISV SVN levels.
/// </summary>
internal sealed record EnclaveIdentity
{
    public required string Id { get; init; }

    public required int Version { get; init; }

    public required DateTimeOffset IssueDate { get; init; }

    public required DateTimeOffset NextUpdate { get; init; }

    public required byte[] MiscSelect { get; init; }

    public required byte[] MiscSelectMask { get; init; }

    public required byte[] Attributes { get; init; }

    public required byte[] AttributesMask { get; init; }

    public required byte[] MrSigner { get; init; }

    public required int IsvProdId { get; init; }

    public required IReadOnlyList<IsvSvnLevel> Levels { get; init; }

    public static EnclaveIdentity Parse(string text)
    {
        using var document = JsonFields.Parse(text, "QE identity");
        var root = document.RootElement;
        const string where = "enclaveIdentity";
        var version = JsonFields.Int(root, "version", where);
        if (version != 2)
        {
            throw JsonFields.Malformed($"enclave identity version {version} is not supported (2 is)");
        }

        var levels = new List<IsvSvnLevel>();
        var i = 0;
        foreach (var level in JsonFields.Array(root, "tcbLevels", where))
        {
            var levelWhere = $"{where}.tcbLevels[{i++}]";
            levels.Add(new IsvSvnLevel(
                JsonFields.Int(JsonFields.Required(level, "tcb", levelWhere), "isvsvn", levelWhere),
                JsonFields.Status(level, "tcbStatus", levelWhere),
                JsonFields.AdvisoryIds(level, levelWhere)));
        }

        return new EnclaveIdentity
        {
            Id = JsonFields.String(root, "id", where),
            Version = version,
            IssueDate = JsonFields.Date(root, "issueDate", where),
            NextUpdate = JsonFields.Date(root, "nextUpdate", where),
            MiscSelect = JsonFields.Hex(root, "miscselect", where, 4),
            MiscSelectMask = JsonFields.Hex(root, "miscselectMask", where, 4),
            Attributes = JsonFields.Hex(root, "attributes", where, 16),
            AttributesMask = JsonFields.Hex(root, "attributesMask", where, 16),
            MrSigner = JsonFields.Hex(root, "mrsigner", where, 32),
            IsvProdId = JsonFields.Int(root, "isvprodid", where),
            Levels = levels,
        };
    }
}
