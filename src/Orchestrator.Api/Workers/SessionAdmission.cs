using Grpc.Core;
using Orchestrator.Api.Hosting;
using Orchestrator.Domain.Crypto;
using Proto = Orchestrator.Api.Worker.V1;

namespace Orchestrator.Api.Workers;

/// <summary>
/// Watches a session's handshake from the outside (the request and response streams) and applies the
/// per-worker session limit to proven workers only: a Hello alone can name anyone, so counting it would
/// let a stranger use up a real worker's quota. The proof is checked here as the session will check
/// it; a session whose proof fails is left to end UNAUTHENTICATED there.
/// </summary>
internal sealed class SessionAdmission(WorkerRateLimits limits, ApiOptions options)
{
    private Address? _worker;
    private byte[]? _nonce;
    private bool _admitted;

    public IAsyncStreamReader<Proto.WorkerMessage> Watch(IAsyncStreamReader<Proto.WorkerMessage> requests) => new Reader(requests, this);

    public IServerStreamWriter<Proto.ServerMessage> Watch(IServerStreamWriter<Proto.ServerMessage> responses) => new Writer(responses, this);

    private void Saw(Proto.WorkerMessage message)
    {
        if (_admitted)
        {
            return;
        }

        if (message.BodyCase == Proto.WorkerMessage.BodyOneofCase.Hello && Address.TryParse(message.Hello.WorkerAddress, out var worker, out _))
        {
            _worker = worker;
        }
        else if (message.BodyCase == Proto.WorkerMessage.BodyOneofCase.Proof && _worker is { } claimed && _nonce is { } nonce)
        {
            _admitted = true;
            if (Signature.TryFromBytes65(message.Proof.Signature.Span, out var signature, out _)
                && EthereumMessage.TryRecover(SessionBinding.Of(options).Message(nonce), signature!, out var signer) && signer == claimed)
            {
                limits.AdmitSession(claimed);
            }
        }
    }

    private void Sent(Proto.ServerMessage message)
    {
        if (message.BodyCase == Proto.ServerMessage.BodyOneofCase.Challenge && message.Challenge.Nonce.Length == 32)
        {
            _nonce = message.Challenge.Nonce.ToByteArray();
        }
    }

    private sealed class Reader(IAsyncStreamReader<Proto.WorkerMessage> inner, SessionAdmission admission) : IAsyncStreamReader<Proto.WorkerMessage>
    {
        public Proto.WorkerMessage Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            var more = await inner.MoveNext(cancellationToken).ConfigureAwait(false);
            if (more)
            {
                admission.Saw(inner.Current);
            }

            return more;
        }
    }

    private sealed class Writer(IServerStreamWriter<Proto.ServerMessage> inner, SessionAdmission admission) : IServerStreamWriter<Proto.ServerMessage>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(Proto.ServerMessage message) => WriteAsync(message, CancellationToken.None);

        public Task WriteAsync(Proto.ServerMessage message, CancellationToken cancellationToken)
        {
            admission.Sent(message);
            return inner.WriteAsync(message, cancellationToken);
        }
    }
}
