// Real processes, signals and shell scripts: Linux only. One server at a time keeps the 2-core machine calm.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
[assembly: CollectionBehavior(DisableTestParallelization = true)]
