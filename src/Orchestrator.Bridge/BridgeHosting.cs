using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orchestrator.Abstractions.Events;
using Orchestrator.Bridge.Bus;
using Orchestrator.Bridge.Consumers;
using Orchestrator.Bridge.Leadership;
using Orchestrator.Bridge.Listening;
using Orchestrator.Bridge.Sending;
using Orchestrator.Bridge.Storage;
using Orchestrator.Chain.Rpc;

namespace Orchestrator.Bridge;

/// <summary>Registers a bus (in-memory or RabbitMQ) and the chain bridge in a host.</summary>
public static class BridgeHosting
{
    /// <summary>
    /// The embedded bus as the cluster's <see cref="IEventBus"/>: events go to the registered
    /// <see cref="IIntegrationEventHandler"/>s in this process (none in a plain silo: they are dropped once accepted).
    /// </summary>
    public static IServiceCollection AddInMemoryEventBus(this IServiceCollection services)
    {
        services.AddSingleton<InMemoryEventBus>();
        services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<InMemoryEventBus>());
        services.AddHostedService(sp => sp.GetRequiredService<InMemoryEventBus>());
        return services;
    }

    /// <summary>
    /// MassTransit on RabbitMQ as the cluster's <see cref="IEventBus"/> (publisher confirms on, durable
    /// messages), plus, when Orchestrator:Chain:Enabled, the bridge's durable queues and consumers with
    /// retry, redelivery and the error-queue metric.
    /// </summary>
    public static IServiceCollection AddRabbitMqBus(this IServiceCollection services, IConfiguration configuration)
    {
        var rabbit = configuration.GetSection(RabbitMqOptions.Section).Get<RabbitMqOptions>() ?? new RabbitMqOptions();
        var bridge = configuration.GetSection(BridgeOptions.Section).Get<BridgeOptions>() ?? new BridgeOptions();
        var errors = rabbit.Check();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(RabbitMqOptions.Section, typeof(RabbitMqOptions), errors);
        }

        var queues = new BridgeQueues(rabbit.QueuePrefix);
        services.AddSingleton(Options.Create(rabbit));
        services.AddSingleton(queues);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMassTransit(x =>
        {
            if (bridge.Enabled)
            {
                x.AddConsumer<TaskCompletedConsumer>();
                x.AddConsumer<TaskFailedConsumer>();
            }

            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(rabbit.Host, (ushort)rabbit.Port, rabbit.VirtualHost, h =>
                {
                    h.Username(rabbit.Username);
                    h.Password(rabbit.Password);
                    h.PublisherConfirmation = true; // a publish completes on the broker's confirm: the outbox relies on it
                });
                cfg.ConfigureJsonSerializerOptions(BusJson.Configure);
                if (bridge.Enabled)
                {
                    // The queues are bound by whoever publishes, not by whoever consumes: only the leading
                    // silo consumes them (LeaderEndpoints), and events published meanwhile wait there.
                    cfg.Publish<TaskCompletedV1>(p => p.BindQueue(queues.Finalizations, queues.Finalizations));
                    cfg.Publish<TaskFailedV1>(p => p.BindQueue(queues.Claims, queues.Claims));
                }
            });
        });
        services.AddSingleton<IEventBus, MassTransitEventBus>();
        if (bridge.Enabled)
        {
            services.AddSingleton(sp => new LeaderEndpoints(
                sp.GetRequiredService<IReceiveEndpointConnector>(), sp.GetRequiredService<AccountSender>(), queues,
                (queue, context, endpoint) => ConfigureEndpoint((IRabbitMqReceiveEndpointConfigurator)endpoint, rabbit, bridge, c =>
                {
                    if (queue == queues.Finalizations)
                    {
                        c.ConfigureConsumer<TaskCompletedConsumer>(context);
                    }
                    else
                    {
                        c.ConfigureConsumer<TaskFailedConsumer>(context);
                    }
                }),
                sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<LeaderEndpoints>>()));
            services.AddHostedService(sp => sp.GetRequiredService<LeaderEndpoints>());
            services.AddSingleton<ErrorQueueMonitor>();
            services.AddHostedService(sp => sp.GetRequiredService<ErrorQueueMonitor>());
        }

        return services;
    }

    private static void ConfigureEndpoint(IRabbitMqReceiveEndpointConfigurator e, RabbitMqOptions rabbit, BridgeOptions bridge, Action<IRabbitMqReceiveEndpointConfigurator> consumer)
    {
        e.Durable = true;
        e.AutoDelete = false;
        // A batch only fills if the endpoint holds that many unacknowledged messages at once: every
        // batch in flight holds its messages until final, and two more batches gather meanwhile
        // (with only BatchSize × MaxInFlightBatches, the next batch waits for a whole one to land).
        var prefetch = Math.Max(rabbit.PrefetchCount, bridge.BatchSize * (bridge.MaxInFlightBatches + 2));
        e.PrefetchCount = prefetch;
        e.ConcurrentMessageLimit = prefetch;

        // Second level ("redelivery"): spaced rounds after the immediate retries are spent. A refused
        // task (the contract's reason, or a malformed event) is not retried at all.
        e.UseMessageRetry(r =>
        {
            r.Intervals(rabbit.EffectiveRedeliveryIntervals);
            r.Ignore<TaskRejectedException>();
        });
        e.UseMessageRetry(r =>
        {
            r.Exponential(rabbit.RetryLimit, rabbit.RetryInterval, rabbit.RetryMaxInterval, rabbit.RetryInterval);
            r.Ignore<TaskRejectedException>();
        });

        // A message no consumer here handles goes to the error queue (with the reason), not to _skipped.
        e.ConfigureDeadLetter(p => p.UseFilter(new UnknownMessageFilter()));
        consumer(e);
    }

    /// <summary>
    /// The bridge (consumers' sender and batchers) and the DealCreated listener, when Orchestrator:Chain:Enabled.
    /// Requires the RabbitMQ bus. The bridge's tables go to PostgreSQL when a connection string is given.
    /// </summary>
    public static IServiceCollection AddChainBridge(this IServiceCollection services, IConfiguration configuration, string? defaultPostgresConnectionString = null)
    {
        var bridge = configuration.GetSection(BridgeOptions.Section).Get<BridgeOptions>() ?? new BridgeOptions();
        var errors = bridge.Check();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(BridgeOptions.Section, typeof(BridgeOptions), errors);
        }

        if (!bridge.Enabled)
        {
            return services;
        }

        var results = configuration.GetSection(ResultPointerOptions.Section).Get<ResultPointerOptions>() ?? new ResultPointerOptions();
        var resultErrors = results.Check();
        if (resultErrors.Count > 0)
        {
            throw new OptionsValidationException(ResultPointerOptions.Section, typeof(ResultPointerOptions), resultErrors);
        }

        services.AddSingleton(bridge);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new EthereumRpcClient(
            new HttpClient(),
            new EthereumRpcClientOptions { Endpoint = bridge.RpcUrl!, RequestTimeout = TimeSpan.FromSeconds(5), MaxAttempts = 2 },
            sp.GetRequiredService<TimeProvider>()));
        var connectionString = bridge.PostgresConnectionString ?? defaultPostgresConnectionString;
        var shared = !string.IsNullOrWhiteSpace(connectionString);
        if (!shared)
        {
            services.TryAddSingleton<IBridgeStore, InMemoryBridgeStore>();
        }
        else
        {
            // One data source for the bridge's tables and its leases (one bounded pool per silo).
            var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
            services.TryAddSingleton<IBridgeStore>(_ => new PostgresBridgeStore(dataSource));
            services.TryAddSingleton<ILeaseStore>(_ => new PostgresLeaseStore(dataSource));
            AddLeadership(services, bridge);
        }

        services.AddSingleton<FeeOracle>();
        services.AddSingleton(sp => new AccountSender(
            sp.GetRequiredService<EthereumRpcClient>(), sp.GetRequiredService<IBridgeStore>(), sp.GetRequiredService<FeeOracle>(), bridge,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AccountSender>>(), shared ? sp.GetRequiredService<SenderLeadership>().Role : null));
        services.AddSingleton(sp => new ChainBridge(
            sp.GetRequiredService<EthereumRpcClient>(), sp.GetRequiredService<AccountSender>(), bridge, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(), results.ResultBase));
        // Requests matched through the API's order book become deals through the hub's matchOrders (last registration wins
        // over the API's off-chain default, whichever is added first).
        services.AddSingleton<Abstractions.Orders.IMatchedDeals>(sp => new Contract.HubMatchedDeals(
            sp.GetRequiredService<EthereumRpcClient>(), sp.GetRequiredService<AccountSender>(), bridge));
        if (bridge.ListenerEnabled)
        {
            services.AddSingleton(sp => new DealListener(
                sp.GetRequiredService<EthereumRpcClient>(), sp.GetRequiredService<IBridgeStore>(), sp.GetRequiredService<IGrainFactory>(), bridge,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DealListener>>(), shared ? sp.GetRequiredService<ListenerLeadership>().Role : null));
            services.AddHostedService(sp => sp.GetRequiredService<DealListener>());
        }
        return services;
    }

    /// <summary>
    /// Several silos share the database, so each role is leased (see <see cref="BridgeLeadership"/>):
    /// one sender per account, one listener per hub and pool. The holder names this silo's process.
    /// </summary>
    private static void AddLeadership(IServiceCollection services, BridgeOptions bridge)
    {
        var holder = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        services.AddSingleton(sp => new SenderLeadership(new BridgeLeadership(
            sp.GetRequiredService<ILeaseStore>(), AccountSender.LeaseNameOf(bridge), holder, bridge.LeaseDuration,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<BridgeLeadership>())));
        services.AddSingleton(sp => new ListenerLeadership(new BridgeLeadership(
            sp.GetRequiredService<ILeaseStore>(), DealListener.LeaseNameOf(bridge), holder, bridge.LeaseDuration,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<BridgeLeadership>())));
        services.AddHostedService(sp =>
        {
            List<BridgeLeadership> roles = [sp.GetRequiredService<SenderLeadership>().Role];
            if (bridge.ListenerEnabled)
            {
                roles.Add(sp.GetRequiredService<ListenerLeadership>().Role);
            }

            return new LeadershipService(roles);
        });
    }

    private sealed record SenderLeadership(BridgeLeadership Role);

    private sealed record ListenerLeadership(BridgeLeadership Role);
}
