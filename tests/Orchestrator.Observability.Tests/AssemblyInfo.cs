// Meters and live gauges are process-wide: two silos in one test process at once would count each other's tasks.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
