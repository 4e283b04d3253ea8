using System.CommandLine;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator health [--url ...]`: asks a silo's health endpoint and exits 0 when it answers 200,
/// 1 otherwise. The container images have no shell or curl, so their HEALTHCHECK runs this.
/// </summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var url = new Option<Uri>("--url") { Description = "The endpoint to ask.", DefaultValueFactory = _ => new Uri("http://127.0.0.1:5081/health/live") };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the answer.", DefaultValueFactory = _ => 5 };
        var command = new Command("health", "Probe a silo's health endpoint (exit 0 healthy, 1 not).") { url, timeout };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)) };
            var target = parse.GetValue(url)!;
            try
            {
                using var response = await http.GetAsync(target, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                await Console.Out.WriteLineAsync($"{(int)response.StatusCode} {body}");
                return response.IsSuccessStatusCode ? 0 : 1;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                await Console.Error.WriteLineAsync($"{target} did not answer: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
