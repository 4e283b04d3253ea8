using Microsoft.Playwright;
using Orchestrator.Host.Observability.Status;
using Orchestrator.Simulation;

namespace Orchestrator.Observability.Tests;

/// <summary>
/// The status page in a real headless Chromium (Debian's, driven by Playwright; no browser download):
/// what an operator sees after a deal ran. With ORCHESTRATOR_UPDATE_DOCS=1 it saves docs/status-page.png (the README shows it).
/// </summary>
public sealed class StatusPageBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task An_operator_sees_the_deal_the_tasks_the_workers_and_the_chain()
    {
        if (!File.Exists(Chromium))
        {
            Assert.Fail($"{Chromium} is missing: run scripts/services/chromium.sh (CI runs it)");
        }

        await using var silo = await WebSilo.StartAsync();
        var summary = await new DemoRunner(silo.Grains).RunAsync(new DemoSettings(Tasks: 24, Workers: 5, Trust: 3, Faulty: 1, Lost: 0, Tee: false, Timeout: TimeSpan.FromSeconds(90)), null, CancellationToken.None);
        Assert.True(summary.AllFinal);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var response = await page.GotoAsync(new Uri(silo.HttpBase, StatusPage.Path).ToString());
        Assert.Equal(200, response!.Status);
        Assert.Equal("Orchestrator status", await page.TitleAsync());

        // The deal's row: its id (shortened, full id on hover), all tasks completed, a full progress bar.
        var dealId = summary.DealId.ToString();
        var dealRow = page.Locator("#deals tbody tr").Filter(new LocatorFilterOptions { Has = page.Locator($"td[title='{dealId}']") });
        await Assertions.Expect(dealRow).ToHaveCountAsync(1);
        await Assertions.Expect(dealRow.Locator("td").Nth(0)).ToHaveTextAsync(dealId[..10] + "…" + dealId[^6..]);
        await Assertions.Expect(dealRow.Locator("td").Nth(3)).ToHaveTextAsync("24");
        await Assertions.Expect(dealRow.Locator("td").Nth(4)).ToHaveTextAsync(summary.Completed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(dealRow.GetByRole(AriaRole.Progressbar)).ToHaveAttributeAsync("aria-valuenow", "100");

        // The cards.
        await Assertions.Expect(page.Locator("#silo-count")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#tasks-completed")).ToHaveTextAsync(summary.Completed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(page.Locator("#tasks-open")).ToHaveTextAsync("0");
        await Assertions.Expect(page.Locator("#chain-detail")).ToHaveTextAsync("no chain configured");

        // The workers: five rows, the faulty one penalised (lowest score, at least one lost vote).
        var workerRows = page.Locator("#workers tbody tr");
        await Assertions.Expect(workerRows).ToHaveCountAsync(5);
        var penalised = summary.Penalised.Select(w => w.Worker.ToLowerHex()).ToList();
        Assert.NotEmpty(penalised);
        var faultyRow = page.Locator("#workers tbody tr").Filter(new LocatorFilterOptions { Has = page.Locator($"td[title='{penalised[0]}']") });
        Assert.NotEqual("0", await faultyRow.Locator("td").Nth(6).InnerTextAsync());
        var scores = (await page.Locator("#workers tbody tr td:nth-child(3)").AllInnerTextsAsync()).Select(int.Parse).ToList();
        Assert.Equal(scores.OrderByDescending(s => s).ToList(), scores);

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToBeHiddenAsync();
        // The README's picture is refreshed on request only: a test run leaves the working tree as it found it.
        var screenshot = Environment.GetEnvironmentVariable("ORCHESTRATOR_UPDATE_DOCS") == "1"
            ? Repository.PathOf("docs", "status-page.png")
            : Path.Combine(Path.GetTempPath(), $"status-page-{Guid.NewGuid():n}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is empty");
        if (!screenshot.StartsWith(Repository.Root, StringComparison.Ordinal))
        {
            File.Delete(screenshot);
        }
    }

}
