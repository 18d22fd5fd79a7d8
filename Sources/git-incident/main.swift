import Git
import IncidentCLI

// Read objects as git's CLI does (no re-hash on every read) and keep big trees cached: see
// README, "Performance".
LibraryOptions.setStrictHashVerification(false)
LibraryOptions.setTreeCacheLimit(bytes: 4 << 20)
GitIncident.main(arguments: Array(CommandLine.arguments.dropFirst()))
