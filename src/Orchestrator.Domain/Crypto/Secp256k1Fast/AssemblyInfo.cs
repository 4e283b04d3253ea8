using System.Runtime.CompilerServices;

// The arithmetic types are internal; the differential/property tests and the benchmark reach them directly.
[assembly: InternalsVisibleTo("Orchestrator.Crypto.Tests")]
[assembly: InternalsVisibleTo("Orchestrator.CryptoBench")]
