import Foundation
import Git

/// Checks commit signatures as `git verify-commit` does.
///
/// - SSH signatures: `ssh-keygen -Y verify -f <gpg.ssh.allowedSignersFile> -I <committer email>
///   -n git -s <signature>` with the signed bytes on standard input: the key must be listed in
///   the allowed signers file for the committer's email.
/// - OpenPGP signatures: `gpg --status-fd=1 --verify <signature> <data>` against the user's
///   keyring; good when gpg reports `GOODSIG` and `VALIDSIG`.
public struct SignatureVerifier: Sendable {
  /// The outcome for one commit.
  public enum Verdict: Sendable, Equatable {
    /// A good signature; the text names the signer as the program reported it.
    case good(String)
    /// The commit has no signature.
    case unsigned
    /// A signature that does not verify, or cannot be checked; the text says why.
    case bad(String)
  }

  /// `gpg.ssh.allowedSignersFile`, `~` expanded; nil when unset.
  public var allowedSignersFile: String?
  /// `gpg.ssh.program` (default `ssh-keygen`).
  public var sshProgram: String
  /// `gpg.program` (default `gpg`).
  public var gpgProgram: String
  /// The environment the programs run with.
  public var environment: [String: String]

  /// The verifier git config describes.
  public init(config: Config, environment: [String: String]) {
    allowedSignersFile = config.string("gpg.ssh.allowedSignersFile").map {
      Subprocess.expandHome($0, environment: environment)
    }
    sshProgram = config.string("gpg.ssh.program") ?? "ssh-keygen"
    gpgProgram = config.string("gpg.openpgp.program") ?? config.string("gpg.program") ?? "gpg"
    self.environment = environment
  }

  /// Verifies one commit's signature.
  ///
  /// The corresponding libgit2 function (to read the signature) is
  /// `git_commit_extract_signature`.
  /// - Throws: ``IncidentError/git(_:)`` when the commit cannot be read.
  public func verify(_ commit: ObjectID, in repository: Repository) throws(IncidentError) -> Verdict {
    let extracted: (signature: String, signedData: Data)?
    let committerEmail: String
    do {
      extracted = try repository.commitSignature(commit)
      committerEmail = try repository.commit(commit).committer.email
    } catch { throw .git(error) }
    guard let extracted else { return .unsigned }
    return verify(signature: extracted.signature, data: extracted.signedData, signer: committerEmail)
  }

  /// Verifies a detached signature over `data` made by `signer` (an email).
  public func verify(signature: String, data: Data, signer: String) -> Verdict {
    let scratch: URL
    do { scratch = try Subprocess.scratchDirectory() } catch { return .bad(error.description) }
    defer { try? FileManager.default.removeItem(at: scratch) }
    let sigFile = scratch.appendingPathComponent("signature")
    let dataFile = scratch.appendingPathComponent("data")
    do {
      try Data(signature.utf8).write(to: sigFile)
      try data.write(to: dataFile)
    } catch {
      return .bad("cannot write temporary files: \(error.localizedDescription)")
    }
    if signature.hasPrefix("-----BEGIN SSH SIGNATURE-----") {
      guard let allowed = allowedSignersFile else {
        return .bad(
          "ssh signature, but gpg.ssh.allowedSignersFile is not set, so no signer is allowed; set it (`git config gpg.ssh.allowedSignersFile <file>`)")
      }
      guard FileManager.default.fileExists(atPath: allowed) else {
        return .bad("ssh signature, but the allowed signers file \(allowed) does not exist")
      }
      do {
        let r = try Subprocess.run(
          sshProgram,
          ["-Y", "verify", "-f", allowed, "-I", signer, "-n", "git", "-s", sigFile.path],
          stdin: dataFile, environment: environment)
        let out = String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if r.status == 0 { return .good(out) }
        let why = CommitSigner.lastLine(r.stderr + "\n" + out)
        return .bad("ssh signature does not verify for \(signer) with \(allowed): \(why)")
      } catch {
        return .bad(error.description)
      }
    }
    if signature.hasPrefix("-----BEGIN PGP SIGNATURE-----") {
      do {
        let r = try Subprocess.run(
          gpgProgram, ["--batch", "--status-fd=1", "--verify", sigFile.path, dataFile.path],
          environment: environment)
        let status = String(decoding: r.stdout, as: UTF8.self)
        if r.status == 0, status.contains("[GNUPG:] GOODSIG "), status.contains("[GNUPG:] VALIDSIG ") {
          let line = status.split(separator: "\n").first { $0.hasPrefix("[GNUPG:] GOODSIG ") }
          return .good(line.map { String($0.dropFirst("[GNUPG:] GOODSIG ".count)) } ?? "")
        }
        let code = status.split(separator: "\n").first {
          $0.hasPrefix("[GNUPG:] BADSIG") || $0.hasPrefix("[GNUPG:] ERRSIG")
            || $0.hasPrefix("[GNUPG:] EXPKEYSIG") || $0.hasPrefix("[GNUPG:] REVKEYSIG")
        }.map(String.init)
        return .bad("openpgp signature does not verify: " + (code ?? CommitSigner.lastLine(r.stderr)))
      } catch {
        return .bad(error.description)
      }
    }
    return .bad("unknown signature type (neither ssh nor openpgp): "
      + CommitSigner.lastLine(String(signature.prefix(60))))
  }
}
