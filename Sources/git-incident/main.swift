import IncidentCLI

GitIncident.main(arguments: Array(CommandLine.arguments.dropFirst()))
