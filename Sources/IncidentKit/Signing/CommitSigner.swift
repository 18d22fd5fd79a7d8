import Foundation
import Git

/// Signs commit objects as `git commit -S` does, when git config asks for it
/// (`commit.gpgsign=true`).
///
/// Two formats, chosen by `gpg.format`:
/// - `ssh`: `ssh-keygen -Y sign -n git -f <user.signingkey> <file>` (the program is
///   `gpg.ssh.program`, default `ssh-keygen`). The key is a path to a private key (or to a public
///   key whose private half is in ssh-agent), or a literal public key `key::ssh-ed25519 AAAA...`,
///   which is written to a temporary file and signed through ssh-agent (`-U`).
/// - `openpgp` (the default): `gpg --status-fd=2 -bsau <user.signingkey, else the committer's
///   email>` (the program is `gpg.program`, default `gpg`); success needs gpg's `SIG_CREATED`
///   status line, as git requires.
///
/// Signing never waits for a passphrase when there is no terminal: the program's standard input
/// is closed, ssh-keygen gets `SSH_ASKPASS_REQUIRE=force` with `SSH_ASKPASS=/bin/false` (so a
/// key that needs a passphrase fails at once) and gpg gets `--batch --pinentry-mode error`. On a
/// terminal, ssh-keygen and gpg may ask for the passphrase there, as they do under git.
public struct CommitSigner: Sendable, Equatable {
  /// The signature formats git knows.
  public enum Format: String, Sendable {
    /// SSH signatures (`-----BEGIN SSH SIGNATURE-----`), git 2.34 and later.
    case ssh
    /// OpenPGP signatures made by gpg (`-----BEGIN PGP SIGNATURE-----`).
    case openpgp
    /// X.509 signatures made by gpgsm; not supported here.
    case x509
  }

  /// `gpg.format`.
  public var format: Format
  /// `user.signingkey`, as written in config; nil when unset.
  public var key: String?
  /// The program run to sign (`gpg.ssh.program` or `gpg.program`).
  public var program: String
  /// True when ssh-keygen or gpg may ask for a passphrase on the terminal.
  public var interactive: Bool
  /// The environment the program runs with (before the no-prompt variables are added).
  public var environment: [String: String]

  /// The signer git config asks for, or nil when `commit.gpgsign` is not true.
  ///
  /// - Parameters:
  ///   - config: the repository's configuration.
  ///   - environment: the process environment (`HOME`, `PATH`, `SSH_AUTH_SOCK`, `GNUPGHOME`).
  ///   - interactive: true when standard input and standard error are a terminal.
  /// - Throws: ``IncidentError/refused(_:)`` for a `gpg.format` git does not know or that is
  ///   not supported (`x509`), so a commit that should be signed is never made unsigned.
  public static func configured(
    by config: Config, environment: [String: String], interactive: Bool
  ) throws(IncidentError) -> CommitSigner? {
    guard config.bool("commit.gpgsign") == true else { return nil }
    let formatText = config.string("gpg.format") ?? "openpgp"
    guard let format = Format(rawValue: formatText) else {
      throw .refused(
        "gpg.format is '\(formatText)'; git knows openpgp, x509 and ssh. Nothing was written.")
    }
    let program: String
    switch format {
    case .ssh: program = config.string("gpg.ssh.program") ?? "ssh-keygen"
    case .openpgp:
      program = config.string("gpg.openpgp.program") ?? config.string("gpg.program") ?? "gpg"
    case .x509:
      throw .refused(
        "commit.gpgsign is true with gpg.format x509, which git-incident does not support; use gpg.format ssh or openpgp, or unset commit.gpgsign. Nothing was written.")
    }
    let key = config.string("user.signingkey").flatMap { $0.isEmpty ? nil : $0 }
    return CommitSigner(
      format: format, key: key, program: program, interactive: interactive,
      environment: environment)
  }

  /// True when this process's standard input and standard error are both a terminal.
  public static var hasTerminal: Bool { isatty(0) == 1 && isatty(2) == 1 }

  /// Signs `content` (a commit object's text) and returns the armored signature.
  ///
  /// - Parameter committerEmail: the default openpgp key when `user.signingkey` is unset.
  /// - Throws: ``IncidentError/refused(_:)`` naming what failed and what to do (no key, a key
  ///   that needs a passphrase without a terminal, no ssh-agent, the program's own message).
  public func sign(_ content: String, committerEmail: String) throws(IncidentError) -> String {
    let scratch = try Subprocess.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let file = scratch.appendingPathComponent("commit")
    do { try Data(content.utf8).write(to: file) } catch {
      throw .refused("cannot write the commit to sign: \(error.localizedDescription)")
    }
    switch format {
    case .ssh: return try signSSH(file, scratch: scratch)
    case .openpgp: return try signGPG(file, committerEmail: committerEmail)
    case .x509: throw .refused("gpg.format x509 is not supported. Nothing was written.")
    }
  }

  var childEnvironment: [String: String] {
    var env = environment
    env.removeValue(forKey: "DISPLAY")
    env.removeValue(forKey: "WAYLAND_DISPLAY")
    if interactive {
      env["SSH_ASKPASS_REQUIRE"] = "never"
    } else {
      env["SSH_ASKPASS_REQUIRE"] = "force"
      env["SSH_ASKPASS"] = FileManager.default.isExecutableFile(atPath: "/bin/false")
        ? "/bin/false" : "/usr/bin/false"
    }
    return env
  }

  static let failed = "commit.gpgsign is true but the commit could not be signed"

  func signSSH(_ file: URL, scratch: URL) throws(IncidentError) -> String {
    guard let key else {
      throw .refused(
        "\(Self.failed): user.signingkey is not set; set it to your ssh key (`git config user.signingkey ~/.ssh/id_ed25519`). Nothing was written.")
    }
    var arguments = ["-Y", "sign", "-n", "git"]
    let keyFile: String
    if key.hasPrefix("key::") || key.hasPrefix("ssh-") {
      // A literal public key: its private half must be in ssh-agent (-U), as git does.
      let literal = key.hasPrefix("key::") ? String(key.dropFirst(5)) : key
      let pub = scratch.appendingPathComponent("signing-key.pub")
      do { try Data((literal + "\n").utf8).write(to: pub) } catch {
        throw .refused("\(Self.failed): cannot write the public key to a temporary file: \(error.localizedDescription)")
      }
      guard environment["SSH_AUTH_SOCK"].map({ !$0.isEmpty }) == true else {
        throw .refused(
          "\(Self.failed): user.signingkey is a literal public key, which needs ssh-agent, and SSH_AUTH_SOCK is not set; start ssh-agent and `ssh-add` the key, or set user.signingkey to the key's file. Nothing was written.")
      }
      keyFile = pub.path
      arguments += ["-f", keyFile, "-U"]
    } else {
      keyFile = Subprocess.expandHome(key, environment: environment)
      guard FileManager.default.fileExists(atPath: keyFile) else {
        throw .refused(
          "\(Self.failed): the ssh key \(keyFile) (user.signingkey) does not exist. Nothing was written.")
      }
      arguments += ["-f", keyFile]
    }
    arguments.append(file.path)
    let result = try Subprocess.run(program, arguments, environment: childEnvironment)
    let sigFile = URL(fileURLWithPath: file.path + ".sig")
    guard result.status == 0, let data = try? Data(contentsOf: sigFile), !data.isEmpty else {
      let detail = Self.lastLine(result.stderr)
      if result.stderr.lowercased().contains("passphrase") {
        throw .refused(
          "\(Self.failed): the ssh key \(keyFile) needs a passphrase and "
            + (interactive ? "none was given" : "there is no terminal to ask for it")
            + "; add the key to ssh-agent (`ssh-add \(keyFile)`) or run from a terminal (\(program): \(detail)). Nothing was written.")
      }
      throw .refused("\(Self.failed): \(program) -Y sign failed: \(detail). Nothing was written.")
    }
    return String(decoding: data, as: UTF8.self)
  }

  func signGPG(_ file: URL, committerEmail: String) throws(IncidentError) -> String {
    let user = key ?? committerEmail
    var arguments = ["--status-fd=2"]
    if !interactive { arguments += ["--batch", "--pinentry-mode", "error"] }
    arguments += ["--output", "-", "-bsau", user, file.path]
    let result = try Subprocess.run(program, arguments, environment: childEnvironment)
    guard result.status == 0, result.stderr.contains("[GNUPG:] SIG_CREATED "), !result.stdout.isEmpty
    else {
      let detail = Self.lastLine(
        result.stderr.split(separator: "\n").filter { !$0.hasPrefix("[GNUPG:]") }.joined(separator: "\n"))
      if result.stderr.contains("PINENTRY_LAUNCHED") || result.stderr.lowercased().contains("passphrase")
        || result.stderr.contains("Inappropriate ioctl") || result.stderr.contains("No pinentry")
      {
        throw .refused(
          "\(Self.failed): the gpg key \(user) needs a passphrase and there is no terminal to ask for it; unlock it in gpg-agent first or run from a terminal (\(program): \(detail)). Nothing was written.")
      }
      throw .refused("\(Self.failed): \(program) could not sign with key \(user): \(detail). Nothing was written.")
    }
    return String(decoding: result.stdout, as: UTF8.self)
  }

  static func lastLine(_ text: String) -> String {
    let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
    return lines.last ?? "no message"
  }
}
