using System.Collections.Immutable;
using System.Formats.Asn1;

namespace Orchestrator.Attestation.Pki;

/// <summary>Whether a PCK certificate was issued by the Platform CA or the Processor CA (it selects the PCK CRL).</summary>
public enum PckCaType
{
    /// <summary>"Intel SGX PCK Platform CA" (multi-package platforms, most servers).</summary>
    Platform,

    /// <summary>"Intel SGX PCK Processor CA".</summary>
    Processor,
}

/// <summary>
/// The Intel SGX extensions of a PCK certificate (OID 1.2.840.113741.1.13.1): a SEQUENCE of
/// (OID, value) pairs, the TCB being itself a SEQUENCE of 16 component SVNs, PCESVN and CPUSVN.
/// </summary>
public sealed record SgxPckExtensions
{
    /// <summary>OID of the SGX extension block.</summary>
    public const string ExtensionOid = "1.2.840.113741.1.13.1";

    /// <summary>PPID (16 bytes).</summary>
    public required ImmutableArray<byte> Ppid { get; init; }

    /// <summary>The 16 SGX TCB component SVNs (compared with a TCB level's sgxtcbcomponents).</summary>
    public required ImmutableArray<byte> TcbComponents { get; init; }

    /// <summary>PCE SVN.</summary>
    public required int PceSvn { get; init; }

    /// <summary>CPUSVN (16 bytes).</summary>
    public required ImmutableArray<byte> CpuSvn { get; init; }

    /// <summary>PCE id (2 bytes).</summary>
    public required ImmutableArray<byte> PceId { get; init; }

    /// <summary>FMSPC (6 bytes): the platform family the TCB info is published for.</summary>
    public required ImmutableArray<byte> Fmspc { get; init; }

    internal static SgxPckExtensions Parse(ParsedCertificate pck)
    {
        var extension = pck.Certificate.Extensions[ExtensionOid]
            ?? throw new AttestationException(VerificationFailureReason.PckExtensionsInvalid, "PCK certificate has no SGX extension (1.2.840.113741.1.13.1)");
        try
        {
            return Decode(extension.RawData);
        }
        catch (AsnContentException ex)
        {
            throw new AttestationException(VerificationFailureReason.PckExtensionsInvalid, "PCK SGX extension cannot be decoded: " + ex.Message, ex);
        }
    }

    private static SgxPckExtensions Decode(byte[] raw)
    {
        byte[]? ppid = null, cpuSvn = null, pceId = null, fmspc = null;
        byte[]? components = null;
        int? pceSvn = null;

        var items = new AsnReader(raw, AsnEncodingRules.DER).ReadSequence();
        while (items.HasData)
        {
            var item = items.ReadSequence();
            var oid = item.ReadObjectIdentifier();
            switch (oid)
            {
                case ExtensionOid + ".1":
                    ppid = item.ReadOctetString();
                    break;
                case ExtensionOid + ".2":
                    (components, pceSvn, cpuSvn) = DecodeTcb(item.ReadSequence());
                    break;
                case ExtensionOid + ".3":
                    pceId = item.ReadOctetString();
                    break;
                case ExtensionOid + ".4":
                    fmspc = item.ReadOctetString();
                    break;
                default:
                    break; // SGX type, platform instance id, configuration: not needed for TCB evaluation
            }
        }

        if (ppid is null || components is null || pceSvn is null || cpuSvn is null || pceId is null || fmspc is null)
        {
            throw new AttestationException(VerificationFailureReason.PckExtensionsInvalid, "PCK SGX extension lacks PPID, TCB, PCEID or FMSPC");
        }

        if (fmspc.Length != 6 || pceId.Length != 2 || cpuSvn.Length != 16)
        {
            throw new AttestationException(VerificationFailureReason.PckExtensionsInvalid, "PCK SGX extension has a wrong FMSPC, PCEID or CPUSVN length");
        }

        return new SgxPckExtensions
        {
            Ppid = [.. ppid],
            TcbComponents = [.. components],
            PceSvn = pceSvn.Value,
            CpuSvn = [.. cpuSvn],
            PceId = [.. pceId],
            Fmspc = [.. fmspc],
        };
    }

    private static (byte[] Components, int PceSvn, byte[] CpuSvn) DecodeTcb(AsnReader tcb)
    {
        var components = new byte[16];
        var seen = 0;
        int? pceSvn = null;
        byte[]? cpuSvn = null;
        const string prefix = ExtensionOid + ".2.";
        while (tcb.HasData)
        {
            var item = tcb.ReadSequence();
            var oid = item.ReadObjectIdentifier();
            if (!oid.StartsWith(prefix, StringComparison.Ordinal) || !int.TryParse(oid.AsSpan(prefix.Length), out var index))
            {
                continue;
            }

            if (index is >= 1 and <= 16)
            {
                components[index - 1] = (byte)ReadSvn(item, 255);
                seen |= 1 << (index - 1);
            }
            else if (index == 17)
            {
                pceSvn = ReadSvn(item, 65535);
            }
            else if (index == 18)
            {
                cpuSvn = item.ReadOctetString();
            }
        }

        if (seen != 0xFFFF || pceSvn is null || cpuSvn is null)
        {
            throw new AttestationException(VerificationFailureReason.PckExtensionsInvalid, "PCK TCB extension lacks a component SVN, PCESVN or CPUSVN");
        }

        return (components, pceSvn.Value, cpuSvn);
    }

    private static int ReadSvn(AsnReader item, int max)
    {
        if (!item.TryReadInt32(out var value) || value < 0 || value > max)
        {
            throw new AttestationException(VerificationFailureReason.PckExtensionsInvalid, "PCK TCB SVN out of range");
        }

        return value;
    }
}
