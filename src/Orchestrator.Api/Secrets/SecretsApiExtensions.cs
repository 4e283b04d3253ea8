using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Api.Security;

namespace Orchestrator.Api.Secrets;

/// <summary>The secret service's gRPC wiring: one call next to each of the API's own.</summary>
public static class SecretsApiExtensions
{
    /// <summary>Puts the admin service behind the owner's bearer token (the enclave service is authenticated by the worker session instead).</summary>
    public static IGrpcServerBuilder AddOrchestratorSecretsApi(this IGrpcServerBuilder grpc)
        => grpc.AddServiceOptions<SecretsAdminService>(o => o.Interceptors.Add<AdminAuthInterceptor>());

    /// <summary>Maps orchestrator.secrets.v1.SecretsAdmin and EnclaveSecrets.</summary>
    public static IEndpointRouteBuilder MapOrchestratorSecretsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<SecretsAdminService>();
        endpoints.MapGrpcService<EnclaveSecretsService>();
        return endpoints;
    }
}
