// The runner runs apps as Linux processes with Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
