using System.Globalization;
using Orchestrator.Domain.Containers;

namespace Orchestrator.Worker.Execution.Containers;

/// <summary>An image that cannot be used: not pulled in time, missing, too large, or not the bytes its digest names.</summary>
public sealed class ImageRefusedException(string message) : Exception(message);

/// <summary>What getting an image took.</summary>
/// <param name="Pulled">False when the engine already held the image by its digest (nothing was pulled).</param>
/// <param name="Attempts">Pull attempts made (0 on a cache hit).</param>
public sealed record ImageFetch(bool Pulled, int Attempts);

/// <summary>How images are pulled.</summary>
/// <param name="Timeout">Longest one pull attempt may take.</param>
/// <param name="Attempts">Pull attempts before giving up (a missing manifest is not retried).</param>
/// <param name="MaxBytes">Largest image accepted (its size unpacked, as the engine reports it).</param>
/// <param name="RetryDelay">Wait before the second attempt; doubled before each later one.</param>
public sealed record PullPolicy(TimeSpan Timeout, int Attempts, long MaxBytes, TimeSpan RetryDelay);

/// <summary>
/// Gets an app's image by digest into the engine: nothing is pulled when the engine already holds that
/// digest (the local cache), otherwise a pull with a timeout per attempt and a few retries, then two
/// checks before anything runs: the engine must hold the image under exactly the digest asked for (an
/// image that arrived under another digest is removed and refused), and it must fit the size cap (a larger
/// one is removed and refused; the Engine API gives no size before the pull, so the cap bounds what is kept
/// and run, while the timeout bounds what a pull may cost).
/// </summary>
public sealed class ImagePuller(DockerEngineClient engine, PullPolicy policy, TimeProvider time)
{
    /// <summary>Makes <paramref name="reference"/> available; throws <see cref="ImageRefusedException"/> with the reason when it cannot be used.</summary>
    public async Task<ImageFetch> EnsureAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var name = reference.ToString();
        if (await FindAsync(name, cancellationToken).ConfigureAwait(false) is { } cached)
        {
            Check(reference, cached);
            return new ImageFetch(false, 0);
        }

        var attempt = 0;
        var delay = policy.RetryDelay;
        while (true)
        {
            attempt++;
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(policy.Timeout);
            string failure;
            try
            {
                await engine.PullAsync(name, limit.Token).ConfigureAwait(false);
                break;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"the pull took longer than {policy.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
            }
            catch (DockerEngineException ex)
            {
                failure = ex.Message;
                if (IsMissing(ex.Message))
                {
                    throw new ImageRefusedException($"image {name} cannot be pulled: {failure}");
                }
            }

            if (attempt >= policy.Attempts)
            {
                throw new ImageRefusedException($"image {name} could not be pulled in {attempt} attempt(s): {failure}");
            }

            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            delay *= 2;
        }

        var pulled = await FindAsync(name, cancellationToken).ConfigureAwait(false);
        if (pulled is null)
        {
            throw new ImageRefusedException($"image {name}: the engine reported the pull done but holds no image under that digest");
        }

        try
        {
            Check(reference, pulled);
        }
        catch (ImageRefusedException)
        {
            await engine.RemoveImageAsync(pulled.Id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return new ImageFetch(true, attempt);
    }

    /// <summary>
    /// Refuses an image the engine does not hold under exactly the reference's digest (another image
    /// answering to the name, a registry that served other bytes), or one over the size cap.
    /// </summary>
    public void Check(ImageReference reference, EngineImage image)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(image);
        if (!HoldsDigest(reference, image))
        {
            var held = image.RepoDigests.Count == 0 ? "none" : string.Join(", ", image.RepoDigests);
            throw new ImageRefusedException($"image {reference}: digest mismatch, the engine holds it as {held}; an image whose digest differs from the reference is never run");
        }

        if (image.Size > policy.MaxBytes)
        {
            throw new ImageRefusedException($"image {reference} is {image.Size} bytes, over the size cap of {policy.MaxBytes} bytes (OrchestratorWorker:Containers:MaxImageBytes)");
        }
    }

    /// <summary>True when the image's repository digests name the reference's digest for its repository.</summary>
    public static bool HoldsDigest(ImageReference reference, EngineImage image)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(image);
        return image.RepoDigests.Any(d => string.Equals(d, reference.ToString(), StringComparison.Ordinal));
    }

    private async Task<EngineImage?> FindAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await engine.InspectImageAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerEngineException ex)
        {
            throw new ImageRefusedException($"image {name} cannot be inspected: {ex.Message}");
        }
    }

    private static bool IsMissing(string message)
        => message.Contains("manifest unknown", StringComparison.OrdinalIgnoreCase)
            || message.Contains("not found", StringComparison.OrdinalIgnoreCase)
            || message.Contains("unauthorized", StringComparison.OrdinalIgnoreCase);
}
