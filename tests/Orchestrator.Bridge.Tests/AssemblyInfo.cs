// The chain tests restart the shared RabbitMQ broker and load two cores: one collection, run in sequence.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
