using Google.Protobuf.WellKnownTypes;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Secrets;
using Orchestrator.Domain.Crypto;
using Proto = Orchestrator.Api.Registry.V1;

namespace Orchestrator.Api.Registry;

/// <summary>The registry's records as orchestrator.registry.v1 messages.</summary>
internal static class RegistryMapping
{
    public static Proto.App ToProto(AppRecord record)
    {
        var app = new Proto.App { Address = record.App.ToLowerHex(), Owner = record.Owner.ToLowerHex(), Name = record.Name };
        app.Versions.AddRange(record.Versions.Select(v => new Proto.AppVersion
        {
            Version = v.Version,
            Image = v.Image,
            Policy = SecretsMapping.ToProto(v.Policy),
            Price = v.PriceWei,
            RegisteredAt = Timestamp.FromDateTimeOffset(v.RegisteredAt),
            Source = v.Source,
        }));
        return app;
    }

    public static Proto.Dataset ToProto(DatasetRecord record)
    {
        var dataset = new Proto.Dataset { Address = record.Dataset.ToLowerHex(), Owner = record.Owner.ToLowerHex(), Name = record.Name };
        dataset.Versions.AddRange(record.Versions.Select(v => new Proto.DatasetVersion
        {
            Version = v.Version,
            Checksum = v.Checksum.ToString(),
            Uri = v.Uri,
            Price = v.PriceWei,
            Restrictions = ToProto(v.Access),
            RegisteredAt = Timestamp.FromDateTimeOffset(v.RegisteredAt),
            Source = v.Source,
        }));
        return dataset;
    }

    private static Proto.DatasetRestrictions ToProto(DatasetAccess access)
    {
        var r = new Proto.DatasetRestrictions();
        r.Apps.AddRange(access.Apps.Select(Hex));
        r.AppOwners.AddRange(access.AppOwners.Select(Hex));
        r.Requesters.AddRange(access.Requesters.Select(Hex));
        r.Pools.AddRange(access.Pools.Select(Hex));
        return r;
    }

    private static string Hex(Address a) => a.ToLowerHex();
}
