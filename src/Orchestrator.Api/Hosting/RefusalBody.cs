using System.Text.Json.Serialization;

namespace Orchestrator.Api.Hosting;

/// <summary>The JSON body of a refused HTTP call, shaped like google.rpc.Status as JSON transcoding writes it.</summary>
internal sealed record RefusalBody(int Code, string Message);

/// <summary>Source-generated (trimming-safe) serialization of <see cref="RefusalBody"/>, in camelCase.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RefusalBody))]
internal sealed partial class RefusalJson : JsonSerializerContext;
