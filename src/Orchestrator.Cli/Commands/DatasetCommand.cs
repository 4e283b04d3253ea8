using System.CommandLine;
using Orchestrator.Api.Registry;
using Orchestrator.Api.Registry.V1;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator dataset register|show|list`: a dataset's owner registers it with who may use it, signing with their own key.</summary>
internal static class DatasetCommand
{
    public static Command Create()
    {
        var call = new OwnerCall();
        var name = new Option<string>("--name") { Description = "The dataset's name (1..64 of [A-Za-z0-9._-]).", Required = true };
        var checksum = new Option<string>("--checksum") { Description = "SHA-256 of the encrypted file (0x + 64 hex).", Required = true };
        var uri = new Option<string>("--uri") { Description = "Where workers download the encrypted file.", Required = true };
        var price = new Option<string?>("--price") { Description = "Price per task in wei (default 0)." };
        var apps = new Option<string[]>("--allow-app") { Description = "An app allowed to use the dataset (repeat; none = any app unless --allow-app-owner)." };
        var appOwners = new Option<string[]>("--allow-app-owner") { Description = "An app owner whose apps may use the dataset (repeat)." };
        var requesters = new Option<string[]>("--allow-requester") { Description = "A requester allowed (repeat; none = any)." };
        var pools = new Option<string[]>("--allow-pool") { Description = "A pool allowed (repeat; none = any)." };
        var register = call.With(new Command("register", "Register a dataset, or a new version of it, signed by its owner.") { name, checksum, uri, price, apps, appOwners, requesters, pools }, signed: true);
        register.SetAction((parse, ct) => call.RunAsync(parse, signed: true, async (client, signer) =>
        {
            var restrictions = new DatasetRestrictions();
            restrictions.Apps.AddRange(parse.GetValue(apps) ?? []);
            restrictions.AppOwners.AddRange(parse.GetValue(appOwners) ?? []);
            restrictions.Requesters.AddRange(parse.GetValue(requesters) ?? []);
            restrictions.Pools.AddRange(parse.GetValue(pools) ?? []);
            var request = RegistrySigning.Sign(
                new RegisterDatasetRequest
                {
                    Name = parse.GetValue(name)!, Checksum = parse.GetValue(checksum)!, Uri = parse.GetValue(uri)!, Price = parse.GetValue(price) ?? string.Empty, Restrictions = restrictions,
                },
                signer.Key, signer.ChainId, signer.Pool, signer.Expiry);
            return await client.RegisterDatasetAsync(request, cancellationToken: ct);
        }, ct));

        var address = new Argument<string>("address") { Description = "The dataset's address." };
        var show = call.With(new Command("show", "Show a dataset and every version of it.") { address }, signed: false);
        show.SetAction((parse, ct) => call.RunAsync(parse, signed: false,
            async (client, _) => await client.GetDatasetAsync(new GetAssetRequest { Address = parse.GetValue(address)! }, cancellationToken: ct), ct));

        var list = call.With(new Command("list", "List the registered datasets."), signed: false);
        list.SetAction((parse, ct) => call.RunAsync(parse, signed: false, async (client, _) =>
            await PagedList.AllAsync(
                token => client.ListDatasetsAsync(new ListAssetsRequest { PageSize = PagedList.PageSize, PageToken = token }, cancellationToken: ct).ResponseAsync,
                reply => reply.Datasets, reply => reply.NextPageToken, (page, all) => all.Total = page.Total), ct));

        return new Command("dataset", "Datasets registered by their owners, with who may use them.") { register, show, list };
    }
}
