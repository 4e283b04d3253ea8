using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace Orchestrator.Api.Results;

/// <summary>
/// Lets two endpoints share GET /v1/tasks/{taskId}/result: one marked with <see cref="Marker"/> (the
/// requester's signed download) is a candidate only when the request carries the
/// X-Orchestrator-Signature header, so without it routing falls through to the pool owner's route.
/// </summary>
internal sealed class SignedRequestMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    /// <summary>The metadata that marks a signed-request endpoint.</summary>
    public static readonly object Marker = new SignedRequestEndpoint();

    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
        => endpoints.Any(e => e.Metadata.GetMetadata<SignedRequestEndpoint>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var signed = httpContext.Request.Headers.ContainsKey(RequesterResultsHttp.SignatureHeader);
        for (var i = 0; i < candidates.Count; i++)
        {
            var marked = candidates[i].Endpoint.Metadata.GetMetadata<SignedRequestEndpoint>() is not null;
            if (marked && !signed)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }

    private sealed class SignedRequestEndpoint;
}
