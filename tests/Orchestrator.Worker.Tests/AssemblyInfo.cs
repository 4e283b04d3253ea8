// The agent's tests run processes and read POSIX permissions: Linux (and other Unix) only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
