import Foundation

/// What an action item does, after the Google SRE book's postmortem action item kinds and
/// PagerDuty's postmortem guide.
public enum ActionType: String, Sendable, CaseIterable, Codable {
  /// Reduces the impact of this kind of incident next time.
  case mitigate
  /// Stops it from happening again.
  case prevent
  /// Finds it sooner.
  case detect
  /// Changes how people work (runbooks, reviews, training).
  case process
}

/// How urgent an action item is.
public enum ActionPriority: String, Sendable, CaseIterable, Codable {
  case high, medium, low
}

/// Whether an action item is still to do.
public enum ActionStatus: String, Sendable, CaseIterable, Codable {
  case open, done
}

/// One follow-up of an incident: an entry of `incidents/<year>/<ID>/actions.yaml`.
///
/// `actions.yaml` is the one source of truth; the Action items section of `postmortem.md` is
/// generated from it (see ``ActionBlock``).
public struct ActionItem: Sendable, Equatable {
  /// Stable and unique across clones: `A` and four random Crockford base32 characters
  /// (`A7K3Q`). On the command line it is named `<incident>/<action>`, case-insensitively.
  public var id: String
  /// What is to be done, one line.
  public var title: String
  /// mitigate, prevent, detect or process; nil when not classified.
  public var type: ActionType?
  /// high, medium or low; nil when not set.
  public var priority: ActionPriority?
  /// open or done.
  public var status: ActionStatus
  /// Who owns it (`Name <email>` or a name); an open item without an owner blocks closing the
  /// incident (DESIGN section 2).
  public var owner: String?
  /// The due date, a UTC calendar date `YYYY-MM-DD`.
  public var due: String?
  /// A link to the tracking ticket or change.
  public var link: String?
  /// When it was added (UTC).
  public var createdAt: Date?
  /// Who added it (`Name <email>`).
  public var createdBy: String?
  /// When it was marked done (UTC).
  public var doneAt: Date?
  /// Who marked it done.
  public var doneBy: String?
  /// Keys the tool does not know, kept.
  public var extra: [ExtraField]

  /// Creates an open item.
  public init(id: String, title: String) {
    self.id = id
    self.title = title
    self.status = .open
    self.extra = []
  }

  /// A new random ID: `A` and four Crockford base32 characters from the system's secure random
  /// source (2^20 possibilities per incident).
  public static func newID() -> String {
    var generator = SystemRandomNumberGenerator()
    let chars = (0..<4).map { _ in IncidentID.crockford[Int(generator.next(upperBound: UInt32(32)))] }
    return "A" + String(decoding: chars, as: UTF8.self)
  }

  /// True when `text` has the form of an action ID (`A` and four Crockford base32 characters),
  /// in any case.
  public static func isValidID(_ text: String) -> Bool {
    let bytes = Array(text.uppercased().utf8)
    return bytes.count == 5 && bytes[0] == UInt8(ascii: "A")
      && bytes.dropFirst().allSatisfy { IncidentID.crockford.contains($0) }
  }

  /// True when the item is open and its due date is before `today` (both UTC calendar dates).
  public func isOverdue(today: String) -> Bool {
    guard status == .open, let due else { return false }
    return due < today
  }
}

/// The content of `actions.yaml`: the items in the order they were added.
public struct ActionList: Sendable, Equatable {
  /// The items.
  public var items: [ActionItem]
  /// Top-level keys the tool does not know.
  public var extra: [ExtraField]

  public init(items: [ActionItem] = [], extra: [ExtraField] = []) {
    self.items = items
    self.extra = extra
  }

  /// The index of the item with `id` (case-insensitive).
  public func index(of id: String) -> Int? {
    items.firstIndex { $0.id.caseInsensitiveCompare(id) == .orderedSame }
  }

  /// Open items that have no owner; they block closing (DESIGN section 2).
  public var openWithoutOwner: [ActionItem] {
    items.filter { $0.status == .open && $0.owner.flatMap(PersonName.cleaned) == nil }
  }
}

/// UTC calendar dates (`YYYY-MM-DD`), as action items' due dates use them.
public enum CalendarDate {
  /// The years a date may have: a year before the Unix epoch or after 2999 is a typo.
  public static let years = 1970...2999

  /// True for a real date written `YYYY-MM-DD` (`2026-02-30` is refused) in ``years``.
  public static func isValid(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 10, bytes[4] == 45, bytes[7] == 45 else { return false }
    guard let year = Int(text.prefix(4)), years.contains(year) else { return false }
    let digits = bytes.enumerated().filter { $0.offset != 4 && $0.offset != 7 }.map(\.element)
    guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
    guard let date = RFC3339.parse(text + "T00:00:00Z") else { return false }
    return string(date) == text
  }

  /// The UTC calendar date of `date`, `YYYY-MM-DD`.
  public static func string(_ date: Date) -> String {
    let compact = IncidentID.compactDate(date)
    return "\(compact.prefix(4))-\(compact.dropFirst(4).prefix(2))-\(compact.suffix(2))"
  }
}
