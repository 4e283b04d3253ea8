using System.Net;
using System.Text;
using System.Text.Json;

namespace Orchestrator.Chain.Tests.Rpc;

/// <summary>An in-process node: each request is answered by the next scripted step, and every request body is recorded.</summary>
public sealed class ScriptedHandler : HttpMessageHandler
{
    private readonly Queue<Func<JsonElement, CancellationToken, Task<HttpResponseMessage>>> _steps = new();

    public List<JsonElement> Requests { get; } = [];

    /// <summary>Answers with {"jsonrpc","id","result"} for the request's id.</summary>
    public ScriptedHandler Result(string resultJson)
        => Step((request, _) => Json(request.ValueKind == JsonValueKind.Array ? throw new InvalidOperationException("use Raw for batches") : $$"""{"jsonrpc":"2.0","id":{{request.GetProperty("id").GetRawText()}},"result":{{resultJson}}}"""));

    public ScriptedHandler Error(int code, string message, string? dataJson = null)
        => Step((request, _) =>
        {
            var data = dataJson is null ? string.Empty : ",\"data\":" + dataJson;
            var error = $$"""{"code":{{code}},"message":"{{message}}"{{data}}}""";
            return Json($$"""{"jsonrpc":"2.0","id":{{request.GetProperty("id").GetRawText()}},"error":{{error}}}""");
        });

    public ScriptedHandler Status(HttpStatusCode status, string body = "", TimeSpan? retryAfter = null)
        => Step((_, _) =>
        {
            var response = new HttpResponseMessage(status) { Content = new StringContent(body) };
            if (retryAfter is { } delay)
            {
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(delay);
            }

            return Task.FromResult(response);
        });

    public ScriptedHandler Throw(Exception exception) => Step((_, _) => Task.FromException<HttpResponseMessage>(exception));

    /// <summary>Never answers until cancelled (the client's timeout must fire).</summary>
    public ScriptedHandler Hang() => Step(async (_, token) =>
    {
        await Task.Delay(Timeout.Infinite, token);
        throw new InvalidOperationException("unreachable");
    });

    public ScriptedHandler Raw(Func<JsonElement, string> body) => Step((request, _) => Json(body(request)));

    public int Remaining => _steps.Count;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var text = await request.Content!.ReadAsStringAsync(cancellationToken);
        var body = JsonDocument.Parse(text).RootElement.Clone();
        Requests.Add(body);
        if (_steps.Count == 0)
        {
            throw new InvalidOperationException("unscripted request: " + text);
        }

        return await _steps.Dequeue()(body, cancellationToken);
    }

    private ScriptedHandler Step(Func<JsonElement, CancellationToken, Task<HttpResponseMessage>> step)
    {
        _steps.Enqueue(step);
        return this;
    }

    private static Task<HttpResponseMessage> Json(string body)
        => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
}
