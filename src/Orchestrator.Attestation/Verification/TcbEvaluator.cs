using Orchestrator.Attestation.Collateral;
using Orchestrator.Attestation.Pki;
using Orchestrator.Attestation.Quotes;

namespace Orchestrator.Attestation.Verification;

/// <summary>Outcome of the TCB evaluation.</summary>
internal sealed record TcbOutcome(TcbStatus Status, TcbStatus PlatformStatus, IReadOnlyList<string> AdvisoryIds);

/// <summary>
/// Selects the TCB level of a platform and combines it with the TDX module and QE statuses the
/// way Intel's QVL does (TcbLevelCheck, TdxModuleCheck, TDRelaunchCheck): levels are tried in
/// the order the TCB info lists them (newest first); a level matches when every SGX component of
/// the PCK certificate and its PCESVN are ≥ the level's and, for TDX, every TEE_TCB_SVN byte is ≥
/// the level's TDX component (bytes 0–1 skipped when a TDX module version is present, because
/// the module is then judged by its own identity).
/// </summary>
internal static class TcbEvaluator
{
    public static TcbOutcome Evaluate(TcbInfo tcbInfo, SgxPckExtensions pck, DcapQuote quote, QeOutcome qe)
    {
        var isTdx = quote.TeeType == TeeType.Tdx;
        var teeTcbSvn = isTdx ? quote.TdReport!.TeeTcbSvn.AsSpan() : default;

        TcbLevel? sgxLevel = null;
        TcbLevel? tdxLevel = null;
        foreach (var level in tcbInfo.Levels)
        {
            if (!AllAtLeast(pck.TcbComponents.AsSpan(), level.SgxComponents, 0) || pck.PceSvn < level.PceSvn)
            {
                continue;
            }

            if (!isTdx)
            {
                sgxLevel = level;
                break;
            }

            sgxLevel ??= level;
            if (AllAtLeast(teeTcbSvn, level.TdxComponents!, teeTcbSvn[1] > 0 ? 2 : 0))
            {
                tdxLevel = level;
                break;
            }
        }

        if (sgxLevel is null)
        {
            throw NotSupported($"no TCB level matches the PCK certificate's SGX components {Convert.ToHexStringLower(pck.TcbComponents.AsSpan())} and PCESVN {pck.PceSvn}");
        }

        if (!isTdx)
        {
            return new TcbOutcome(ConvergeWithQe(sgxLevel.Status, qe), sgxLevel.Status, Advisories(sgxLevel.AdvisoryIds, [], qe.AdvisoryIds));
        }

        if (tdxLevel is null)
        {
            throw NotSupported($"no TCB level matches the TD's TEE_TCB_SVN {Convert.ToHexStringLower(teeTcbSvn)}");
        }

        var module = TdxModuleStatus(tcbInfo, quote);
        var tdxStatus = ConvergeWithModule(tdxLevel.Status, module?.Status);
        if (tdxStatus != TcbStatus.Revoked && quote.TdReport!.TeeTcbSvn2 is { } svn2)
        {
            tdxStatus = CheckRelaunch(svn2.AsSpan(), tcbInfo, sgxLevel.Status, tdxStatus, module?.Status, qe);
        }

        var status = tdxStatus == TcbStatus.Revoked ? tdxStatus : ConvergeWithQe(tdxStatus, qe);
        return new TcbOutcome(status, tdxLevel.Status, Advisories(tdxLevel.AdvisoryIds, module?.AdvisoryIds ?? [], qe.AdvisoryIds));
    }

    /// <summary>
    /// Checks MRSIGNERSEAM and SEAMATTRIBUTES against the TDX module (or, with a module version,
    /// the "TDX_NN" module identity) — DCAP 4.1.2.4.11.
    /// </summary>
    public static void CheckTdxModuleIdentity(TcbInfo tcbInfo, DcapQuote quote)
    {
        var td = quote.TdReport!;
        var identity = SelectModuleIdentity(tcbInfo, td.TeeTcbSvn[1]);
        if (!td.MrSignerSeam.AsSpan().SequenceEqual(identity.MrSigner))
        {
            throw new AttestationException(VerificationFailureReason.TdxModuleMismatch,
                $"MRSIGNERSEAM {Convert.ToHexStringLower(td.MrSignerSeam.AsSpan())} is not the signer of TDX module identity {identity.Id}");
        }

        // Intel requires SEAMATTRIBUTES to be zero and equal to the identity's attributes (no mask applied).
        for (var i = 0; i < td.SeamAttributes.Length; i++)
        {
            if (td.SeamAttributes[i] != 0 || identity.Attributes[i] != 0)
            {
                throw new AttestationException(VerificationFailureReason.TdxModuleMismatch, $"SEAMATTRIBUTES {Convert.ToHexStringLower(td.SeamAttributes.AsSpan())} are not zero / not those of TDX module identity {identity.Id}");
            }
        }
    }

    private static TdxModuleIdentity SelectModuleIdentity(TcbInfo tcbInfo, byte moduleVersion)
    {
        if (moduleVersion == 0)
        {
            return tcbInfo.TdxModule ?? throw new AttestationException(VerificationFailureReason.TcbInfoMismatch, "TDX TCB info lacks 'tdxModule'");
        }

        var wanted = $"TDX_{moduleVersion:X2}";
        return tcbInfo.TdxModuleIdentities.FirstOrDefault(m => string.Equals(m.Id, wanted, StringComparison.OrdinalIgnoreCase))
            ?? throw new AttestationException(VerificationFailureReason.TdxModuleMismatch, $"TCB info has no TDX module identity {wanted} for module version {moduleVersion}");
    }

    private static IsvSvnLevel? TdxModuleStatus(TcbInfo tcbInfo, DcapQuote quote)
    {
        var svn = quote.TdReport!.TeeTcbSvn;
        if (svn[1] == 0)
        {
            return null; // no module version: the module is judged by the TCB level's TDX components alone
        }

        var identity = SelectModuleIdentity(tcbInfo, svn[1]);
        return identity.Levels.FirstOrDefault(l => svn[0] >= l.IsvSvn)
            ?? throw NotSupported($"TDX module ISV SVN {svn[0]} is below every level of module identity {identity.Id}");
    }

    private static TcbStatus ConvergeWithModule(TcbStatus levelStatus, TcbStatus? moduleStatus) => moduleStatus switch
    {
        TcbStatus.OutOfDate => OutOfDateVariant(levelStatus),
        TcbStatus.Revoked => TcbStatus.Revoked,
        _ => levelStatus,
    };

    private static TcbStatus ConvergeWithQe(TcbStatus levelStatus, QeOutcome qe)
    {
        if (qe.IsRevoked)
        {
            return TcbStatus.Revoked;
        }

        return qe.IsOutOfDate ? OutOfDateVariant(levelStatus) : levelStatus;
    }

    private static TcbStatus OutOfDateVariant(TcbStatus levelStatus) => levelStatus switch
    {
        TcbStatus.UpToDate or TcbStatus.SWHardeningNeeded => TcbStatus.OutOfDate,
        TcbStatus.ConfigurationNeeded or TcbStatus.ConfigurationAndSWHardeningNeeded => TcbStatus.OutOfDateConfigurationNeeded,
        _ => levelStatus,
    };

    /// <summary>TD report 1.5: a TD whose module was updated after launch is told to relaunch rather than marked out of date (Intel's TDRelaunchCheck).</summary>
    private static TcbStatus CheckRelaunch(ReadOnlySpan<byte> svn2, TcbInfo tcbInfo, TcbStatus sgxStatus, TcbStatus tdxStatus, TcbStatus? moduleStatus, QeOutcome qe)
    {
        var qeFine = !qe.IsOutOfDate && !qe.IsRevoked;
        var sgxFine = sgxStatus is TcbStatus.UpToDate or TcbStatus.SWHardeningNeeded or TcbStatus.ConfigurationNeeded or TcbStatus.ConfigurationAndSWHardeningNeeded;
        var tdxOutOfDate = tdxStatus is TcbStatus.OutOfDate or TcbStatus.OutOfDateConfigurationNeeded;
        if (!qeFine || !sgxFine || !tdxOutOfDate || moduleStatus != TcbStatus.OutOfDate)
        {
            return tdxStatus;
        }

        var latest = tcbInfo.Levels.Count > 0 ? tcbInfo.Levels[0] : throw NotSupported("TCB info has no TCB level");
        int requiredModuleSvn;
        if (svn2[1] == 0)
        {
            requiredModuleSvn = latest.TdxComponents![0];
        }
        else
        {
            var identity = SelectModuleIdentity(tcbInfo, svn2[1]);
            requiredModuleSvn = identity.Levels.Count > 0 ? identity.Levels[0].IsvSvn : throw NotSupported($"module identity {identity.Id} has no level");
        }

        if (svn2[0] >= requiredModuleSvn && svn2[2] >= latest.TdxComponents![2])
        {
            var configuration = IsConfigurationNeeded(sgxStatus) || IsConfigurationNeeded(tdxStatus);
            return configuration ? TcbStatus.TDRelaunchAdvisedConfigurationNeeded : TcbStatus.TDRelaunchAdvised;
        }

        return tdxStatus;
    }

    private static bool IsConfigurationNeeded(TcbStatus s) =>
        s is TcbStatus.ConfigurationNeeded or TcbStatus.OutOfDateConfigurationNeeded or TcbStatus.ConfigurationAndSWHardeningNeeded or TcbStatus.TDRelaunchAdvisedConfigurationNeeded;

    private static bool AllAtLeast(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> required, int start)
    {
        for (var i = start; i < required.Length; i++)
        {
            if (actual[i] < required[i])
            {
                return false;
            }
        }

        return true;
    }

    private static IReadOnlyList<string> Advisories(params IReadOnlyList<string>[] sources)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return [.. sources.SelectMany(s => s).Where(seen.Add)];
    }

    private static AttestationException NotSupported(string message) => new(VerificationFailureReason.NoMatchingTcbLevel, message);
}
