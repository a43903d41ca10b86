import StowageCLI

await StowageCommand.runFromCommandLine()
