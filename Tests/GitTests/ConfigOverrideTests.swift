import Testing

@testable import Git

/// `git -c key=value` reaches the tool through GIT_CONFIG_PARAMETERS (and GIT_CONFIG_COUNT);
/// these overrides win over every config file, as in git.
@Suite("Config overrides")
struct ConfigOverrideTests {
  @Test func parsesBothFormsOfGitConfigParameters() {
    let parsed = Config.parseParameters("'user.name'='Ana '\\'' Lima' 'commit.gpgsign=false' 'core.bare'")
    #expect(parsed.map(\.0) == ["user.name", "commit.gpgsign", "core.bare"])
    #expect(parsed.map(\.1) == ["Ana ' Lima", "false", "true"])
  }

  @Test func countedVariablesWinAndNamesNormalise() {
    let env = [
      "GIT_CONFIG_PARAMETERS": "'User.Name'='From Parameters'",
      "GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "user.NAME", "GIT_CONFIG_VALUE_0": "From Count",
      "GIT_CONFIG_KEY_1": "remote.Origin.URL", "GIT_CONFIG_VALUE_1": "x",
    ]
    let overrides = Config.overrides(from: env)
    #expect(overrides["user.name"] == "From Count")
    #expect(overrides["remote.Origin.url"] == "x")
  }
}
