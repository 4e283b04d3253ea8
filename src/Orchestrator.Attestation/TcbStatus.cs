namespace Orchestrator.Attestation;

/// <summary>
/// The TCB status of a platform as Intel's Quote Verification Library reports it after a quote
/// verified completely. The names match Intel's strings (see <see cref="TcbStatusText"/>).
/// </summary>
public enum TcbStatus
{
    /// <summary>The platform is patched to the latest TCB level.</summary>
    UpToDate,

    /// <summary>Up to date, but software mitigations (listed by the advisory ids) are needed.</summary>
    SWHardeningNeeded,

    /// <summary>Up to date, but the platform configuration (e.g. BIOS settings) must change.</summary>
    ConfigurationNeeded,

    /// <summary>Both <see cref="ConfigurationNeeded"/> and <see cref="SWHardeningNeeded"/>.</summary>
    ConfigurationAndSWHardeningNeeded,

    /// <summary>The platform's TCB is out of date.</summary>
    OutOfDate,

    /// <summary>Out of date, and the configuration must change as well.</summary>
    OutOfDateConfigurationNeeded,

    /// <summary>The TCB level of the platform (or of its quoting enclave) is revoked.</summary>
    Revoked,

    /// <summary>TDX only (TD report 1.5): the TDX module was updated after the TD launched; relaunching the TD brings it up to date.</summary>
    TDRelaunchAdvised,

    /// <summary>TDX only: <see cref="TDRelaunchAdvised"/> plus a configuration change.</summary>
    TDRelaunchAdvisedConfigurationNeeded,
}

/// <summary>Conversions between <see cref="TcbStatus"/> and Intel's status strings.</summary>
public static class TcbStatusText
{
    /// <summary>Intel's string for a status (identical to the enum member name).</summary>
    public static string ToIntelString(this TcbStatus status) => status.ToString();

    /// <summary>Parses one of Intel's status strings (case-sensitive, as Intel spells them).</summary>
    public static bool TryParse(string? text, out TcbStatus status)
    {
        switch (text)
        {
            case "UpToDate": status = TcbStatus.UpToDate; return true;
            case "SWHardeningNeeded": status = TcbStatus.SWHardeningNeeded; return true;
            case "ConfigurationNeeded": status = TcbStatus.ConfigurationNeeded; return true;
            case "ConfigurationAndSWHardeningNeeded": status = TcbStatus.ConfigurationAndSWHardeningNeeded; return true;
            case "OutOfDate": status = TcbStatus.OutOfDate; return true;
            case "OutOfDateConfigurationNeeded": status = TcbStatus.OutOfDateConfigurationNeeded; return true;
            case "Revoked": status = TcbStatus.Revoked; return true;
            case "TDRelaunchAdvised": status = TcbStatus.TDRelaunchAdvised; return true;
            case "TDRelaunchAdvisedConfigurationNeeded": status = TcbStatus.TDRelaunchAdvisedConfigurationNeeded; return true;
            default: status = default; return false;
        }
    }
}
