namespace Orchestrator.Attestation;

/// <summary>The kind of trusted execution environment that produced a piece of evidence.</summary>
public enum TeeType
{
    /// <summary>Intel SGX enclave (quote TEE type 0x00000000).</summary>
    Sgx,

    /// <summary>Intel TDX trust domain (quote TEE type 0x00000081).</summary>
    Tdx,
}
