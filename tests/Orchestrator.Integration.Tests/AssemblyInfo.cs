// One PostgreSQL server is shared and one test stops it on purpose: classes run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
