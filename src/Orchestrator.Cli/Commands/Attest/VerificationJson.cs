using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Orchestrator.Attestation;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Cli.Commands.Attest;

/// <summary>
/// The one-object JSON report of a verification, as printed by <c>orchestrator attest verify</c>:
/// <c>ok</c>, then <c>status</c> (Intel's TCB status string) or <c>failure</c> + <c>message</c>,
/// <c>advisoryIds</c>, <c>teeType</c> (<c>SGX</c>/<c>TDX</c>/null), <c>debug</c>, <c>simulated</c>,
/// and the measurements as lowercase hex — SGX: <c>mrEnclave</c>, <c>mrSigner</c>, <c>isvProdId</c>,
/// <c>isvSvn</c>, <c>reportData</c>; TDX: <c>mrTd</c>, <c>rtmr0</c>..<c>rtmr3</c>, <c>reportData</c>,
/// <c>mrSeam</c>, <c>mrSignerSeam</c>, <c>tdAttributes</c>, <c>xfam</c>, <c>teeTcbSvn</c>.
/// Measurements of a failed verification are what the evidence claims, not verified facts.
/// </summary>
public static class VerificationJson
{
    /// <summary>Renders a result as one indented JSON object.</summary>
    public static string Render(QuoteVerificationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", result.IsVerified);
            if (result.IsVerified)
            {
                w.WriteString("status", result.Status!.Value.ToIntelString());
            }
            else
            {
                w.WriteString("failure", result.Failure?.ToString() ?? "Unknown");
                w.WriteString("message", result.FailureMessage);
            }

            w.WriteStartArray("advisoryIds");
            foreach (var id in result.AdvisoryIds)
            {
                w.WriteStringValue(id);
            }

            w.WriteEndArray();
            WriteTee(w, result);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Renders a failure that happened before any evidence was read (bad arguments, unreadable file).</summary>
    public static string RenderError(string failure, string message)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", false);
            w.WriteString("failure", failure);
            w.WriteString("message", message);
            w.WriteStartArray("advisoryIds");
            w.WriteEndArray();
            w.WriteNull("teeType");
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteTee(Utf8JsonWriter w, QuoteVerificationResult result)
    {
        if (result.TeeType is null)
        {
            w.WriteNull("teeType");
            return;
        }

        w.WriteString("teeType", result.TeeType == TeeType.Sgx ? "SGX" : "TDX");
        w.WriteBoolean("debug", result.IsDebug);
        w.WriteBoolean("simulated", result.Simulated);
        if (result.Fmspc is not null)
        {
            w.WriteString("fmspc", result.Fmspc.ToLowerInvariant());
        }

        if (result.Enclave is { } e)
        {
            w.WriteString("mrEnclave", Hex(e.MrEnclave));
            w.WriteString("mrSigner", Hex(e.MrSigner));
            w.WriteNumber("isvProdId", e.IsvProdId);
            w.WriteNumber("isvSvn", e.IsvSvn);
            w.WriteString("reportData", Hex(e.ReportData));
            w.WriteString("attributes", Hex(e.Attributes));
        }

        if (result.TdReport is { } td)
        {
            w.WriteString("mrTd", Hex(td.MrTd));
            for (var i = 0; i < td.Rtmrs.Length; i++)
            {
                w.WriteString($"rtmr{i}", Hex(td.Rtmrs[i]));
            }

            w.WriteString("reportData", Hex(td.ReportData));
            w.WriteString("mrSeam", Hex(td.MrSeam));
            w.WriteString("mrSignerSeam", Hex(td.MrSignerSeam));
            w.WriteString("tdAttributes", Hex(td.TdAttributes));
            w.WriteString("xfam", Hex(td.Xfam));
            w.WriteString("teeTcbSvn", Hex(td.TeeTcbSvn));
            w.WriteString("mrConfigId", Hex(td.MrConfigId));
        }
    }

    private static string Hex(ImmutableArray<byte> bytes) => Convert.ToHexStringLower(bytes.AsSpan());
}
