using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Orchestrator.Host.Hosting;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator serve`: runs a silo until stopped (Ctrl-C or SIGTERM stop it gracefully).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "A JSON configuration file (section \"Orchestrator\"); without it, the embedded default: one silo, in-memory state." };
        var command = new Command("serve", "Start a silo (and its gRPC API when configured) and keep running until stopped.") { config };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(config);
            if (file is not null && ServeStartup.CheckFile(file.FullName) is { } fileError)
            {
                await Console.Error.WriteLineAsync(fileError);
                return 2;
            }

            Microsoft.AspNetCore.Builder.WebApplicationBuilder builder;
            try
            {
                builder = EmbeddedCluster.CreateWebBuilder([], file?.FullName);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                await WriteConfigurationErrorsAsync(ex);
                return 2;
            }
            catch (InvalidDataException ex)
            {
                // Malformed JSON: the loader names the file, the JSON reader the line and byte.
                await Console.Error.WriteLineAsync(ServeStartup.Describe(ex));
                return 2;
            }

            if (ServeStartup.CheckPorts(builder.Configuration) is { } portError)
            {
                await Console.Error.WriteLineAsync(portError);
                return 2;
            }

            // The silo, and the gRPC API on Kestrel when Orchestrator:Api:Enabled (see README).
            await using var host = SiloWebHost.Build(builder);
            try
            {
                await host.RunAsync(cancellationToken);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                // Options validated at start (ValidateOnStart), after the builder: the same one-line answer.
                await WriteConfigurationErrorsAsync(ex);
                return 2;
            }

            return 0;
        });
        return command;
    }

    /// <summary>A configuration mistake: one line per failed rule naming its key, without a stack trace.</summary>
    private static async Task WriteConfigurationErrorsAsync(Microsoft.Extensions.Options.OptionsValidationException ex)
    {
        foreach (var failure in ex.Failures.SelectMany(f => f.Split("; ", StringSplitOptions.RemoveEmptyEntries)))
        {
            await Console.Error.WriteLineAsync("configuration error: " + failure);
        }
    }
}
