import Git
import IncidentCLI

// Read objects as git's CLI does (no re-hash on every read) and keep big trees (a year's
// folder of incidents) cached: see README, "Performance". Failing to set either only costs time.
try? LibraryOptions.setStrictHashVerification(false)
try? ObjectCache.setTreeLimit(bytes: 4 << 20)
GitIncident.main(arguments: Array(CommandLine.arguments.dropFirst()))
