using System.Globalization;
using System.Text;
using Orchestrator.Attestation.Policy;

namespace Orchestrator.Domain.Registry;

/// <summary>
/// The canonical one-line text of an app's measurement policy, the <c>policy</c> member of a signed
/// <see cref="AppRegistration"/>: a wallet shows the owner exactly what they sign, and the server
/// rebuilds the same text from the structured policy it received, so a policy changed on the way
/// no longer matches the signature. Hex is lowercased; lists keep the order the owner gave.
/// <code>tee=sgx;mrenclave=&lt;hex&gt;,…;signer=&lt;hex&gt;/&lt;prodid&gt;/&lt;minsvn&gt;,…;tdx=&lt;mrtd&gt;/&lt;rtmr0&gt;/…/&lt;rtmr3&gt;,…;tcb=UpToDate[adv|adv],…;maxage=&lt;seconds&gt;;debug=0;simulated=0</code>
/// </summary>
public static class AppPolicyText
{
    /// <summary>The text of <paramref name="policy"/> with its TCB allowances (status and, optionally, the only advisories accepted with it).</summary>
    public static string Of(PolicyDraft policy, IEnumerable<(string Status, IReadOnlyList<string> Advisories)> tcb, bool allowDebug, bool allowSimulated)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(tcb);
        var text = new StringBuilder();
        text.Append("tee=").Append(policy.Tee.ToLowerInvariant());
        text.Append(";mrenclave=").AppendJoin(',', policy.MrEnclaves.Select(Lower));
        text.Append(";signer=").AppendJoin(',', policy.Signers.Select(s => string.Create(CultureInfo.InvariantCulture, $"{Lower(s.MrSigner)}/{s.IsvProdId}/{s.MinIsvSvn}")));
        text.Append(";tdx=").AppendJoin(',', policy.TdxMeasurements.Select(m => string.Join('/', Lower(m.MrTd), Lower(m.Rtmr0), Lower(m.Rtmr1), Lower(m.Rtmr2), Lower(m.Rtmr3))));
        text.Append(";tcb=").AppendJoin(',', tcb.Select(t => t.Advisories.Count == 0 ? t.Status : $"{t.Status}[{string.Join('|', t.Advisories)}]"));
        text.Append(";maxage=").Append(((long)policy.MaxEvidenceAge.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        text.Append(";debug=").Append(allowDebug ? '1' : '0');
        text.Append(";simulated=").Append(allowSimulated ? '1' : '0');
        return text.ToString();
    }

    /// <summary>
    /// Reads a policy text back (the hub contract's AppRegistered event carries it): the draft, its TCB
    /// allowances and flags, or false with the rule the text breaks. Values are not checked here
    /// (<see cref="AppPolicyRules.Validate"/> does), only the shape: the eight keys in their order.
    /// </summary>
    public static bool TryParse(string? text, out ParsedAppPolicy? policy, out string error)
    {
        policy = null;
        string[] keys = ["tee", "mrenclave", "signer", "tdx", "tcb", "maxage", "debug", "simulated"];
        var parts = (text ?? string.Empty).Split(';');
        if (parts.Length != keys.Length || parts.Select((p, i) => p.StartsWith(keys[i] + "=", StringComparison.Ordinal)).Any(ok => !ok))
        {
            error = $"policy text must be {string.Join(';', keys.Select(k => k + "=…"))}";
            return false;
        }

        var values = parts.Select((p, i) => p[(keys[i].Length + 1)..]).ToArray();
        static string[] List(string value) => value.Length == 0 ? [] : value.Split(',');
        try
        {
            var signers = List(values[2]).Select(s => s.Split('/')).Select(s => s.Length == 3
                ? new SignerDraft(s[0], int.Parse(s[1], CultureInfo.InvariantCulture), int.Parse(s[2], CultureInfo.InvariantCulture))
                : throw new FormatException("signer=<mrsigner>/<isvprodid>/<minisvsvn>")).ToList();
            var tdx = List(values[3]).Select(m => m.Split('/')).Select(m => m.Length == 5
                ? new TdxMeasurementRule(m[0], Empty(m[1]), Empty(m[2]), Empty(m[3]), Empty(m[4]))
                : throw new FormatException("tdx=<mrtd>/<rtmr0>/<rtmr1>/<rtmr2>/<rtmr3>")).ToList();
            var tcb = List(values[4]).Select(t =>
            {
                var open = t.IndexOf('[', StringComparison.Ordinal);
                return open < 0 ? (t, (IReadOnlyList<string>)[]) : (t[..open], (IReadOnlyList<string>)t[(open + 1)..].TrimEnd(']').Split('|'));
            }).ToList();
            var draft = new PolicyDraft
            {
                Tee = values[0] switch { "sgx" => "Sgx", "tdx" => "Tdx", var other => other },
                MrEnclaves = List(values[1]),
                Signers = signers,
                TdxMeasurements = tdx,
                TcbStatuses = [.. tcb.Select(t => t.Item1)],
                MaxEvidenceAge = TimeSpan.FromSeconds(long.Parse(values[5], NumberStyles.None, CultureInfo.InvariantCulture)),
            };
            policy = new ParsedAppPolicy(draft, tcb, values[6] == "1", values[7] == "1");
            error = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            error = $"policy text: {ex.Message}";
            return false;
        }
    }

    private static string? Empty(string value) => value.Length == 0 ? null : value;

    private static string Lower(string? hex) => (hex ?? string.Empty).Trim().ToLowerInvariant();
}

/// <summary>A policy read back from its text.</summary>
/// <param name="Draft">The measurements, TCB statuses and maximum evidence age.</param>
/// <param name="Tcb">Each accepted TCB status with the only advisories accepted with it (empty: any).</param>
/// <param name="AllowDebug">Debug enclaves accepted.</param>
/// <param name="AllowSimulated">Simulated evidence accepted.</param>
public sealed record ParsedAppPolicy(PolicyDraft Draft, IReadOnlyList<(string Status, IReadOnlyList<string> Advisories)> Tcb, bool AllowDebug, bool AllowSimulated);
