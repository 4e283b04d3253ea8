using System.Globalization;

namespace Orchestrator.Attestation.Policy;

/// <summary>Checks an app policy before it is stored; every problem is named with the field and the expected form.</summary>
public static class AppPolicyRules
{
    /// <summary>The problems with a policy (empty when valid).</summary>
    public static IReadOnlyList<string> Validate(PolicyDraft policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var errors = new List<string>();
        if (!Enum.TryParse<TeeType>(policy.Tee, ignoreCase: true, out var tee) || !Enum.IsDefined(tee))
        {
            errors.Add($"tee must be SGX or TDX, got {policy.Tee}");
            return errors;
        }

        if (tee == TeeType.Sgx)
        {
            if (policy.MrEnclaves.Count == 0 && policy.Signers.Count == 0)
            {
                errors.Add("an SGX policy needs at least one MRENCLAVE or one signer (MRSIGNER + ISV product id + minimum SVN)");
            }

            if (policy.TdxMeasurements.Count > 0)
            {
                errors.Add("an SGX policy cannot list TDX measurements");
            }

            errors.AddRange(policy.MrEnclaves.Where(m => !IsHex(m, 32)).Select(m => $"MRENCLAVE '{m}' must be 64 hex digits"));
            foreach (var s in policy.Signers)
            {
                if (!IsHex(s.MrSigner, 32)) errors.Add($"MRSIGNER '{s.MrSigner}' must be 64 hex digits");
                if (s.IsvProdId is < 0 or > ushort.MaxValue) errors.Add($"ISV product id {s.IsvProdId} must be 0..65535");
                if (s.MinIsvSvn is < 0 or > ushort.MaxValue) errors.Add($"minimum ISV SVN {s.MinIsvSvn} must be 0..65535");
            }
        }
        else
        {
            if (policy.TdxMeasurements.Count == 0)
            {
                errors.Add("a TDX policy needs at least one MRTD (with optional RTMR0..3)");
            }

            if (policy.MrEnclaves.Count > 0 || policy.Signers.Count > 0)
            {
                errors.Add("a TDX policy cannot list SGX MRENCLAVE or signers");
            }

            foreach (var m in policy.TdxMeasurements)
            {
                if (!IsHex(m.MrTd, 48)) errors.Add($"MRTD '{m.MrTd}' must be 96 hex digits");
                foreach (var (name, value) in new[] { ("RTMR0", m.Rtmr0), ("RTMR1", m.Rtmr1), ("RTMR2", m.Rtmr2), ("RTMR3", m.Rtmr3) })
                {
                    if (value is not null && !IsHex(value, 48)) errors.Add($"{name} '{value}' must be 96 hex digits (or absent for any value)");
                }
            }
        }

        foreach (var text in policy.TcbStatuses)
        {
            if (!TcbStatusText.TryParse(text, out var status))
            {
                errors.Add($"TCB status '{text}' is not one of {string.Join(", ", Enum.GetNames<TcbStatus>())}");
            }
            else if (status == TcbStatus.Revoked)
            {
                errors.Add("TCB status Revoked can never be accepted");
            }
        }

        if (policy.MaxEvidenceAge < TimeSpan.Zero)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"maximum evidence age must not be negative, got {policy.MaxEvidenceAge}"));
        }

        return errors;
    }

    private static bool IsHex(string? text, int bytes)
        => text is not null && text.Trim().Length == bytes * 2 && text.Trim().All(Uri.IsHexDigit);
}
