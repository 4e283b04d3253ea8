using System.CommandLine;
using Orchestrator.Api.Registry;
using Orchestrator.Api.Registry.V1;
using Orchestrator.Domain.Crypto;
using SecretsProto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator secret push|list|audit`: an owner pushes a secret (encrypted on this machine to the secret
/// service's push key, signed with the owner's key), lists their secrets' names (never the values) and
/// reads who got them.
/// </summary>
internal static class SecretCommand
{
    public static Command Create()
    {
        var call = new OwnerCall();
        var kind = new Option<string>("--kind") { Description = "Whose secret: requester (default), app or dataset.", DefaultValueFactory = _ => "requester" };
        var target = new Option<string?>("--target") { Description = "The app's or dataset's address (a requester's secret: default the key's own address)." };
        var name = new Option<string>("--name") { Description = "The secret's name (a dataset's key is named \"key\").", Required = true };
        var value = new Option<string?>("--value") { Description = "The value as text." };
        var valueFile = new Option<FileInfo?>("--value-file") { Description = "The value as a file's bytes." };
        var push = call.With(new Command("push", "Push (or replace) a secret, encrypted to the secret service and signed by its owner.") { kind, target, name, value, valueFile }, signed: true);
        push.SetAction(async (parse, ct) =>
        {
            var text = parse.GetValue(value);
            var file = parse.GetValue(valueFile);
            if ((text is null) == (file is null)) return OwnerCall.Fail(2, "give exactly one of --value or --value-file");
            var bytes = text is not null ? System.Text.Encoding.UTF8.GetBytes(text) : await File.ReadAllBytesAsync(file!.FullName, ct);
            return await call.RunAsync(parse, signed: true, async (client, signer) =>
            {
                var pushKey = Hex.Decode((await client.GetPushKeyAsync(new GetPushKeyRequest(), cancellationToken: ct)).PublicKey);
                var request = RegistrySigning.Push(Owner(parse.GetValue(kind)!, parse.GetValue(target), signer), parse.GetValue(name)!, bytes, pushKey, signer.Key, signer.ChainId, signer.Pool, signer.Expiry);
                return await client.PushSecretAsync(request, cancellationToken: ct);
            }, ct);
        });

        var listKind = new Option<string>("--kind") { Description = "Whose secrets: requester (default), app or dataset.", DefaultValueFactory = _ => "requester" };
        var listTarget = new Option<string?>("--target") { Description = "The app's or dataset's address (default the key's own address)." };
        var list = call.With(new Command("list", "List an owner's secrets (names, versions, sizes; never values).") { listKind, listTarget }, signed: true);
        list.SetAction((parse, ct) => call.RunAsync(parse, signed: true, async (client, signer) =>
            await client.ListOwnerSecretsAsync(RegistrySigning.ListSecrets(Owner(parse.GetValue(listKind)!, parse.GetValue(listTarget), signer), signer.Key, signer.ChainId, signer.Pool, signer.Expiry), cancellationToken: ct), ct));

        var auditKind = new Option<string>("--kind") { Description = "Whose secrets: requester (default), app or dataset.", DefaultValueFactory = _ => "requester" };
        var auditTarget = new Option<string?>("--target") { Description = "The app's or dataset's address (default the key's own address)." };
        var audit = call.With(new Command("audit", "Read the audit trail of an owner's secrets: which enclave got which, when, and every refusal with its reason.") { auditKind, auditTarget }, signed: true);
        audit.SetAction((parse, ct) => call.RunAsync(parse, signed: true, async (client, signer) =>
            await client.GetOwnerAuditAsync(RegistrySigning.Audit(Owner(parse.GetValue(auditKind)!, parse.GetValue(auditTarget), signer), signer.Key, signer.ChainId, signer.Pool, signer.Expiry), cancellationToken: ct), ct));

        return new Command("secret", "Secrets pushed by their owners: app developers, dataset owners, requesters.") { push, list, audit };
    }

    private static SecretsProto.Owner Owner(string kind, string? target, OwnerCall.Signer signer) => new()
    {
        Kind = kind switch
        {
            "app" => SecretsProto.OwnerKind.App,
            "dataset" => SecretsProto.OwnerKind.Dataset,
            "requester" => SecretsProto.OwnerKind.Requester,
            _ => throw new FormatException($"--kind: must be requester, app or dataset, got {kind}"),
        },
        Address = target ?? signer.Address.ToLowerHex(),
    };
}
