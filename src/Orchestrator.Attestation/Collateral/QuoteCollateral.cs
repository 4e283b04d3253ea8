using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestrator.Attestation.Collateral;

/// <summary>
/// Everything besides the quote that a DCAP verification needs: the TCB info and QE identity
/// (exact signed text + r‖s signature + issuer chain), and the CRLs with the PCK CRL issuer chain.
/// The PCK chain itself travels inside the quote. Load it from any of the three shapes met in
/// practice: <see cref="FromDcapQvlJson"/>, <see cref="FromPcsResponses"/>, <see cref="FromOasisBundle"/>.
/// </summary>
public sealed record QuoteCollateral
{
    /// <summary>PEM chain of the PCK CRL issuer (PCK Platform/Processor CA, then root); informative, the CRL is checked against the quote's own chain.</summary>
    public string? PckCrlIssuerChain { get; init; }

    /// <summary>DER of the root CA CRL (revokes intermediate CAs and the TCB signing certificate), or null when absent.</summary>
    public ImmutableArray<byte>? RootCaCrl { get; init; }

    /// <summary>DER of the PCK CRL issued by the quote's PCK CA, or null when absent.</summary>
    public ImmutableArray<byte>? PckCrl { get; init; }

    /// <summary>PEM chain of the TCB info signer (TCB Signing certificate, then root).</summary>
    public required string TcbInfoIssuerChain { get; init; }

    /// <summary>The exact signed text of the <c>tcbInfo</c> object.</summary>
    public required string TcbInfo { get; init; }

    /// <summary>TCB info signature, 64 bytes r‖s.</summary>
    public required ImmutableArray<byte> TcbInfoSignature { get; init; }

    /// <summary>PEM chain of the QE identity signer.</summary>
    public required string QeIdentityIssuerChain { get; init; }

    /// <summary>The exact signed text of the <c>enclaveIdentity</c> object.</summary>
    public required string QeIdentity { get; init; }

    /// <summary>QE identity signature, 64 bytes r‖s.</summary>
    public required ImmutableArray<byte> QeIdentitySignature { get; init; }

    /// <summary>
    /// Reads the dcap-qvl collateral JSON: one object of strings <c>pck_crl_issuer_chain</c>,
    /// <c>root_ca_crl</c> (hex DER), <c>pck_crl</c> (hex DER), <c>tcb_info_issuer_chain</c>,
    /// <c>tcb_info</c> (exact signed text), <c>tcb_info_signature</c> (hex),
    /// <c>qe_identity_issuer_chain</c>, <c>qe_identity</c>, <c>qe_identity_signature</c>.
    /// CRL fields may be absent or null (then only verification with revocation checking off can pass).
    /// Throws <see cref="FormatException"/> for anything else.
    /// </summary>
    public static QuoteCollateral FromDcapQvlJson(string json)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("collateral JSON is not an object");
        }
        catch (JsonException ex)
        {
            throw new FormatException("collateral is not valid JSON: " + ex.Message, ex);
        }

        return new QuoteCollateral
        {
            PckCrlIssuerChain = OptionalString(root, "pck_crl_issuer_chain"),
            RootCaCrl = OptionalCrl(root, "root_ca_crl"),
            PckCrl = OptionalCrl(root, "pck_crl"),
            TcbInfoIssuerChain = RequiredString(root, "tcb_info_issuer_chain"),
            TcbInfo = RequiredString(root, "tcb_info"),
            TcbInfoSignature = [.. Convert.FromHexString(RequiredString(root, "tcb_info_signature"))],
            QeIdentityIssuerChain = RequiredString(root, "qe_identity_issuer_chain"),
            QeIdentity = RequiredString(root, "qe_identity"),
            QeIdentitySignature = [.. Convert.FromHexString(RequiredString(root, "qe_identity_signature"))],
        };
    }

    /// <summary>
    /// Builds collateral from Intel PCS v4 responses: the TCB info and QE identity response bodies
    /// (<c>{"tcbInfo":{...},"signature":"..."}</c>, <c>{"enclaveIdentity":{...},"signature":"..."}</c>),
    /// the decoded issuer-chain headers, and the CRLs in DER, PEM or hex (null when absent).
    /// Throws <see cref="FormatException"/> when a piece cannot be decoded.
    /// </summary>
    public static QuoteCollateral FromPcsResponses(
        string tcbInfoResponse,
        string tcbInfoIssuerChain,
        string qeIdentityResponse,
        string qeIdentityIssuerChain,
        string? pckCrlIssuerChain,
        byte[]? rootCaCrl,
        byte[]? pckCrl)
    {
        var (tcbInfo, tcbSignature) = SignedJson.Split(tcbInfoResponse, "tcbInfo");
        var (qeIdentity, qeSignature) = SignedJson.Split(qeIdentityResponse, "enclaveIdentity");
        return new QuoteCollateral
        {
            PckCrlIssuerChain = pckCrlIssuerChain,
            RootCaCrl = rootCaCrl is null ? null : [.. CrlEncoding.ToDer(rootCaCrl)],
            PckCrl = pckCrl is null ? null : [.. CrlEncoding.ToDer(pckCrl)],
            TcbInfoIssuerChain = tcbInfoIssuerChain,
            TcbInfo = tcbInfo,
            TcbInfoSignature = [.. tcbSignature],
            QeIdentityIssuerChain = qeIdentityIssuerChain,
            QeIdentity = qeIdentity,
            QeIdentitySignature = [.. qeSignature],
        };
    }

    /// <summary>
    /// Builds collateral from an Oasis TCB bundle: TCB info and QE identity PCS response bodies and
    /// the TCB signing chain, which signs both. Oasis ships no CRLs, so the result verifies only
    /// with revocation checking turned off.
    /// </summary>
    public static QuoteCollateral FromOasisBundle(string tcbInfoResponse, string qeIdentityResponse, string tcbSigningChain) =>
        FromPcsResponses(tcbInfoResponse, tcbSigningChain, qeIdentityResponse, tcbSigningChain, null, null, null);

    /// <summary>
    /// The earliest nextUpdate of the TCB info, the QE identity and the CRLs present: after it the
    /// collateral no longer verifies anything, so caches refresh before it. Throws
    /// <see cref="FormatException"/> when a part cannot be decoded.
    /// </summary>
    public DateTimeOffset EarliestNextUpdate()
    {
        try
        {
            var earliest = TcbInfoModel().NextUpdate;
            var qe = Orchestrator.Attestation.Collateral.EnclaveIdentity.Parse(QeIdentity).NextUpdate;
            earliest = qe < earliest ? qe : earliest;
            foreach (var crl in new[] { RootCaCrl, PckCrl })
            {
                if (crl is { } der && Pki.CrlDocument.Parse([.. der], "CRL").NextUpdate is { } next && next < earliest)
                {
                    earliest = next;
                }
            }

            return earliest;
        }
        catch (AttestationException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
    }

    internal TcbInfo TcbInfoModel() => Orchestrator.Attestation.Collateral.TcbInfo.Parse(TcbInfo);

    /// <summary>Writes the dcap-qvl JSON shape (the format of the <c>attest verify --collateral</c> file).</summary>
    public string ToDcapQvlJson()
    {
        var o = new JsonObject
        {
            ["pck_crl_issuer_chain"] = PckCrlIssuerChain,
            ["root_ca_crl"] = RootCaCrl is { } root ? Convert.ToHexStringLower(root.AsSpan()) : null,
            ["pck_crl"] = PckCrl is { } pck ? Convert.ToHexStringLower(pck.AsSpan()) : null,
            ["tcb_info_issuer_chain"] = TcbInfoIssuerChain,
            ["tcb_info"] = TcbInfo,
            ["tcb_info_signature"] = Convert.ToHexStringLower(TcbInfoSignature.AsSpan()),
            ["qe_identity_issuer_chain"] = QeIdentityIssuerChain,
            ["qe_identity"] = QeIdentity,
            ["qe_identity_signature"] = Convert.ToHexStringLower(QeIdentitySignature.AsSpan()),
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string RequiredString(JsonObject root, string name) =>
        OptionalString(root, name) ?? throw new FormatException($"collateral lacks '{name}'");

    private static string? OptionalString(JsonObject root, string name)
    {
        if (!root.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return node is JsonValue value && value.TryGetValue<string>(out var s)
            ? s
            : throw new FormatException($"collateral field '{name}' is not a string");
    }

    private static ImmutableArray<byte>? OptionalCrl(JsonObject root, string name)
    {
        var text = OptionalString(root, name);
        return string.IsNullOrWhiteSpace(text) ? null : [.. CrlEncoding.ToDer(Encoding.UTF8.GetBytes(text))];
    }
}
