using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using Orchestrator.Api.Registry;
using Orchestrator.Api.Registry.V1;
using Orchestrator.Api.Results.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Simulation;
using SecretsProto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Grains.Tests.Registry;

/// <summary>One owner's key talking to orchestrator.registry.v1 as a wallet would: the pool's domain read from the server, each request signed.</summary>
internal sealed class OwnerClient(GrpcChannel channel, byte[]? key = null)
{
    public byte[] Key { get; } = key ?? Secp256k1.NewPrivateKey();

    public Address Address => Secp256k1.AddressOf(Key);

    public Api.Registry.V1.Registry.RegistryClient Registry { get; } = new(channel);

    public static ulong Expiry => (ulong)DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();

    public async Task<(ulong ChainId, Address Pool)> DomainAsync()
    {
        var domain = await new Results.ResultsClient(channel).GetSigningDomainAsync(new GetSigningDomainRequest());
        return (domain.ChainId, Address.Parse(domain.VerifyingContract));
    }

    /// <summary>A simulated-SGX policy accepting the simulated enclave's MRENCLAVE.</summary>
    public static SecretsProto.AppPolicy SimulatedPolicy(string? mrEnclave = null) => new()
    {
        Tee = SecretsProto.TeeKind.Sgx,
        MrEnclaves = { mrEnclave ?? SimulatedEnclave.DefaultMrEnclave },
        AllowSimulated = true,
        MaxEvidenceAge = Duration.FromTimeSpan(TimeSpan.FromHours(1)),
    };

    public async Task<RegisterAppRequest> SignedAppAsync(string name, string image, SecretsProto.AppPolicy? policy = null, ulong? expiry = null)
    {
        var (chainId, pool) = await DomainAsync();
        return RegistrySigning.Sign(new RegisterAppRequest { Name = name, Image = image, Policy = policy ?? SimulatedPolicy() }, Key, chainId, pool, expiry ?? Expiry);
    }

    public async Task<App> RegisterAppAsync(string name, string image, SecretsProto.AppPolicy? policy = null)
        => await Registry.RegisterAppAsync(await SignedAppAsync(name, image, policy));

    public async Task<RegisterDatasetRequest> SignedDatasetAsync(string name, DatasetRestrictions? restrictions = null)
    {
        var (chainId, pool) = await DomainAsync();
        return RegistrySigning.Sign(
            new RegisterDatasetRequest { Name = name, Checksum = "0x" + new string('2', 64), Uri = "https://data.example/" + name + ".enc", Restrictions = restrictions ?? new DatasetRestrictions() },
            Key, chainId, pool, Expiry);
    }

    public async Task<Dataset> RegisterDatasetAsync(string name, DatasetRestrictions? restrictions = null)
        => await Registry.RegisterDatasetAsync(await SignedDatasetAsync(name, restrictions));

    public async Task<PushSecretRequest> SignedPushAsync(SecretsProto.OwnerKind kind, Address target, string name, byte[] value)
    {
        var (chainId, pool) = await DomainAsync();
        var pushKey = Hex.Decode((await Registry.GetPushKeyAsync(new GetPushKeyRequest())).PublicKey);
        return RegistrySigning.Push(new SecretsProto.Owner { Kind = kind, Address = target.ToLowerHex() }, name, value, pushKey, Key, chainId, pool, Expiry);
    }

    public async Task<SecretsProto.SecretInfo> PushAsync(SecretsProto.OwnerKind kind, Address target, string name, byte[] value)
        => await Registry.PushSecretAsync(await SignedPushAsync(kind, target, name, value));

    public async Task<OwnerAudit> AuditAsync(SecretsProto.OwnerKind kind, Address target)
    {
        var (chainId, pool) = await DomainAsync();
        return await Registry.GetOwnerAuditAsync(RegistrySigning.Audit(new SecretsProto.Owner { Kind = kind, Address = target.ToLowerHex() }, Key, chainId, pool, Expiry));
    }

    public async Task<SecretsProto.ListSecretsReply> ListSecretsAsync(SecretsProto.OwnerKind kind, Address target)
    {
        var (chainId, pool) = await DomainAsync();
        return await Registry.ListOwnerSecretsAsync(RegistrySigning.ListSecrets(new SecretsProto.Owner { Kind = kind, Address = target.ToLowerHex() }, Key, chainId, pool, Expiry));
    }
}
