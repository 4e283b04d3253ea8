using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Orchestrator.Attestation;
using Orchestrator.Attestation.Collateral;

namespace Orchestrator.Testing.Tee;

/// <summary>What a test collateral set says about the test platform.</summary>
public sealed record TestCollateralOptions
{
    /// <summary>The TCB status of the level the platform sits at (a newer UpToDate level is listed above it when this is not UpToDate).</summary>
    public TcbStatus PlatformStatus { get; init; } = TcbStatus.UpToDate;

    /// <summary>Whether the PCK CRL revokes the platform's PCK certificate.</summary>
    public bool RevokePck { get; init; }
}

/// <summary>
/// Intel-shaped collateral for the test platform: TCB info v3 (SGX or TDX) and QE identity v2 as
/// exact signed JSON text with r‖s signatures by the test TCB signer, the root CA CRL and the PCK CRL,
/// issued an hour before the instant and valid for 30 days.
/// </summary>
internal static class TestCollateral
{
    public static QuoteCollateral Create(TestPki pki, TestPlatform platform, System.Security.Cryptography.X509Certificates.X509Certificate2 pck, bool tdx, DateTimeOffset at, TestCollateralOptions options)
    {
        var tcbInfo = TcbInfoJson(platform, tdx, at, options.PlatformStatus);
        var qeIdentity = QeIdentityJson(tdx, at);
        return new QuoteCollateral
        {
            PckCrlIssuerChain = pki.PckCaChainPem,
            RootCaCrl = [.. pki.RootCaCrl(at)],
            PckCrl = [.. pki.PckCrl(at, options.RevokePck ? [pck] : [])],
            TcbInfoIssuerChain = pki.TcbSignerChainPem,
            TcbInfo = tcbInfo,
            TcbInfoSignature = [.. Sign(pki.TcbSignerKey, tcbInfo)],
            QeIdentityIssuerChain = pki.TcbSignerChainPem,
            QeIdentity = qeIdentity,
            QeIdentitySignature = [.. Sign(pki.TcbSignerKey, qeIdentity)],
        };
    }

    private static byte[] Sign(ECDsa key, string text) =>
        key.SignData(Encoding.UTF8.GetBytes(text), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    private static string TcbInfoJson(TestPlatform platform, bool tdx, DateTimeOffset at, TcbStatus status)
    {
        var levels = new JsonArray();
        if (status != TcbStatus.UpToDate)
        {
            // A newer level the platform does not reach, so its own level is the older one.
            levels.Add(Level(platform, tdx, increment: 1, TcbStatus.UpToDate, at.AddDays(-10)));
        }

        levels.Add(Level(platform, tdx, increment: 0, status, at.AddDays(-100)));
        var info = new JsonObject
        {
            ["id"] = tdx ? "TDX" : "SGX",
            ["version"] = 3,
            ["issueDate"] = Date(at.AddHours(-1)),
            ["nextUpdate"] = Date(at.AddDays(30)),
            ["fmspc"] = Convert.ToHexStringLower(platform.Fmspc.AsSpan()),
            ["pceId"] = Convert.ToHexStringLower(platform.PceId.AsSpan()),
            ["tcbType"] = 0,
            ["tcbEvaluationDataNumber"] = 17,
        };
        if (tdx)
        {
            info["tdxModule"] = new JsonObject
            {
                ["mrsigner"] = new string('0', 96),
                ["attributes"] = "0000000000000000",
                ["attributesMask"] = "FFFFFFFFFFFFFFFF",
            };
        }

        info["tcbLevels"] = levels;
        return info.ToJsonString();
    }

    private static JsonObject Level(TestPlatform platform, bool tdx, int increment, TcbStatus status, DateTimeOffset date)
    {
        var tcb = new JsonObject
        {
            ["sgxtcbcomponents"] = Components(platform.CpuSvn.Select(s => s + increment)),
        };
        if (tdx)
        {
            // The test TD's TEE_TCB_SVN is all zero; a newer level asks for module SVN 1.
            tcb["tdxtcbcomponents"] = Components(Enumerable.Range(0, 16).Select(i => i == 0 ? increment : 0));
        }

        tcb["pcesvn"] = platform.PceSvn;
        var level = new JsonObject { ["tcb"] = tcb, ["tcbDate"] = Date(date), ["tcbStatus"] = status.ToIntelString() };
        if (status != TcbStatus.UpToDate)
        {
            level["advisoryIDs"] = new JsonArray("INTEL-SA-00000-TEST");
        }

        return level;
    }

    private static JsonArray Components(IEnumerable<int> svns) => [.. svns.Select(s => (JsonNode)new JsonObject { ["svn"] = s })];

    private static string QeIdentityJson(bool tdx, DateTimeOffset at) => new JsonObject
    {
        ["id"] = tdx ? "TD_QE" : "QE",
        ["version"] = 2,
        ["issueDate"] = Date(at.AddHours(-1)),
        ["nextUpdate"] = Date(at.AddDays(30)),
        ["tcbEvaluationDataNumber"] = 17,
        ["miscselect"] = "00000000",
        ["miscselectMask"] = "FFFFFFFF",
        ["attributes"] = "05000000000000000000000000000000",
        ["attributesMask"] = "FFFFFFFFFFFFFFFF0000000000000000",
        ["mrsigner"] = Convert.ToHexString(TestQuotes.QeMrSigner),
        ["isvprodid"] = (int)TestQuotes.QeProdId(tdx),
        ["tcbLevels"] = new JsonArray(new JsonObject
        {
            ["tcb"] = new JsonObject { ["isvsvn"] = TestQuotes.QeIsvSvn },
            ["tcbDate"] = Date(at.AddDays(-100)),
            ["tcbStatus"] = "UpToDate",
        }),
    }.ToJsonString();

    private static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
