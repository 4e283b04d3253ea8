using System.Text.Json;
using Orchestrator.Attestation.Collateral;

namespace Orchestrator.Attestation.Tests;

/// <summary>One entry of shared/attestation-vectors/manifest.json.</summary>
public sealed record Vector(string Id, JsonElement Entry)
{
    public string QuotePath => SharedVectors.PathOf(Entry.GetProperty("quote").GetString()!);

    public byte[] Quote => File.ReadAllBytes(QuotePath);

    public string ExpectedKind => Entry.GetProperty("expected").GetProperty("kind").GetString()!;

    public JsonElement Expected => Entry.GetProperty("expected");

    public JsonElement Fields => Entry.GetProperty("expected_fields");

    public DateTimeOffset? At => Entry.GetProperty("evaluation_time").ValueKind == JsonValueKind.String
        ? DateTimeOffset.Parse(Entry.GetProperty("evaluation_time").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
        : null;

    public bool HasCollateral => Entry.GetProperty("collateral").ValueKind == JsonValueKind.Object;

    public QuoteCollateral LoadCollateral()
    {
        var c = Entry.GetProperty("collateral");
        string Text(string name) => File.ReadAllText(SharedVectors.PathOf(c.GetProperty(name).GetString()!));
        byte[]? Bytes(string name) => c.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? File.ReadAllBytes(SharedVectors.PathOf(p.GetString()!)) : null;
        return c.GetProperty("format").GetString() switch
        {
            "dcap-qvl-json" => QuoteCollateral.FromDcapQvlJson(Text("path")),
            "files" => QuoteCollateral.FromPcsResponses(
                Text("tcb_info"), Text("tcb_info_issuer_chain"), Text("qe_identity"), Text("qe_identity_issuer_chain"),
                Text("pck_crl_issuer_chain"), Bytes("root_ca_crl"), Bytes("pck_crl")),
            "oasis-tcb-bundle" => QuoteCollateral.FromOasisBundle(Text("tcb_info"), Text("qe_identity"), Text("tcb_info_issuer_chain")),
            var other => throw new InvalidOperationException("unknown collateral format " + other),
        };
    }

    public override string ToString() => Id;
}

/// <summary>
/// Locates /work/shared/attestation-vectors: env var ORCHESTRATOR_SHARED_DIR (the shared folder
/// or the vectors folder itself), else walking up from the test assembly. Missing vectors fail
/// the tests, never skip them.
/// </summary>
public static class SharedVectors
{
    private static readonly Lazy<string> Folder = new(Locate);
    private static readonly Lazy<IReadOnlyList<Vector>> All = new(Load);

    public static string Directory => Folder.Value;

    public static IReadOnlyList<Vector> Vectors => All.Value;

    public static Vector Get(string id) => Vectors.Single(v => v.Id == id);

    public static string PathOf(string relative) => Path.Combine(Directory, relative);

    public static TheoryData<string> Ids(Func<Vector, bool> filter)
    {
        var data = new TheoryData<string>();
        foreach (var v in Vectors.Where(filter))
        {
            data.Add(v.Id);
        }

        return data;
    }

    private static string Locate()
    {
        var env = Environment.GetEnvironmentVariable("ORCHESTRATOR_SHARED_DIR");
        if (!string.IsNullOrEmpty(env))
        {
            foreach (var candidate in new[] { Path.Combine(env, "attestation-vectors"), env })
            {
                if (File.Exists(Path.Combine(candidate, "manifest.json")))
                {
                    return candidate;
                }
            }
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "attestation-vectors");
            if (File.Exists(Path.Combine(candidate, "manifest.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("shared/attestation-vectors not found: set ORCHESTRATOR_SHARED_DIR or run from inside the checkout next to shared/");
    }

    private static IReadOnlyList<Vector> Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "manifest.json")));
        return [.. doc.RootElement.GetProperty("vectors").EnumerateArray().Select(e => new Vector(e.GetProperty("id").GetString()!, e.Clone()))];
    }
}
