using System.CommandLine;
using Google.Protobuf;
using Orchestrator.Api.Registry;
using Orchestrator.Api.Registry.V1;
using SecretsProto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator app register|show|list`: an app's owner registers it (or a new version of it) with the
/// image by digest and the enclave measurement policy, signing with their own key (no pool token).
/// </summary>
internal static class AppCommand
{
    public static Command Create()
    {
        var call = new OwnerCall();
        var name = new Option<string>("--name") { Description = "The app's name (1..64 of [A-Za-z0-9._-]); with the owner it makes the app's address.", Required = true };
        var image = new Option<string>("--image") { Description = "The image by digest: registry/name@sha256:<64 hex>.", Required = true };
        var policy = new Option<FileInfo>("--policy") { Description = "The measurement policy: a JSON file of orchestrator.secrets.v1.AppPolicy (tee, mrEnclaves or signers, or tdxMeasurements; acceptedTcbStatuses; allowSimulated).", Required = true };
        var price = new Option<string?>("--price") { Description = "Price per task in wei (default 0)." };
        var register = call.With(new Command("register", "Register an app, or a new version of it, signed by its owner.") { name, image, policy, price }, signed: true);
        register.SetAction(async (parse, ct) =>
        {
            SecretsProto.AppPolicy parsed;
            try
            {
                parsed = JsonParser.Default.Parse<SecretsProto.AppPolicy>(await File.ReadAllTextAsync(parse.GetValue(policy)!.FullName, ct));
            }
            catch (Exception ex) when (ex is InvalidProtocolBufferException or IOException or InvalidJsonException)
            {
                return OwnerCall.Fail(2, $"--policy: {ex.Message}");
            }

            return await call.RunAsync(parse, signed: true, async (client, signer) =>
            {
                var request = RegistrySigning.Sign(
                    new RegisterAppRequest { Name = parse.GetValue(name)!, Image = parse.GetValue(image)!, Policy = parsed, Price = parse.GetValue(price) ?? string.Empty },
                    signer.Key, signer.ChainId, signer.Pool, signer.Expiry);
                return await client.RegisterAppAsync(request, cancellationToken: ct);
            }, ct);
        });

        var address = new Argument<string>("address") { Description = "The app's address." };
        var show = call.With(new Command("show", "Show an app and every version of it.") { address }, signed: false);
        show.SetAction((parse, ct) => call.RunAsync(parse, signed: false,
            async (client, _) => await client.GetAppAsync(new GetAssetRequest { Address = parse.GetValue(address)! }, cancellationToken: ct), ct));

        var list = call.With(new Command("list", "List the registered apps."), signed: false);
        list.SetAction((parse, ct) => call.RunAsync(parse, signed: false, async (client, _) =>
            await PagedList.AllAsync(
                token => client.ListAppsAsync(new ListAssetsRequest { PageSize = PagedList.PageSize, PageToken = token }, cancellationToken: ct).ResponseAsync,
                reply => reply.Apps, reply => reply.NextPageToken, (page, all) => all.Total = page.Total), ct));

        return new Command("app", "Apps registered by their owners: image by digest and enclave measurements.") { register, show, list };
    }
}
