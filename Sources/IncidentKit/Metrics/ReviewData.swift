import Foundation
import Git

/// What the review commands read from the branch tip: the selected incidents, their action
/// items and which have a postmortem.
public struct ReviewData: Sendable {
  /// The repository settings (severity order).
  public var settings: Settings
  /// The incidents that pass the filter, newest declaration first.
  public var incidents: [Incident]
  /// Action items of those incidents, from each `actions.yaml` that exists.
  public var actions: [ActionMetric]
  /// Repository paths of the selected incidents' `postmortem.md` files, by incident.
  public var postmortems: [IncidentID: String]
  /// Records that could not be read (left out, never silently).
  public var problems: [String]
}

extension IncidentStore {
  /// Reads the incidents `filter` selects, with their action items and postmortem paths, from
  /// the tip of HEAD's branch. A missing `actions.yaml` means no action items; an unreadable one
  /// is reported in ``ReviewData/problems``.
  ///
  /// - Throws: ``IncidentError`` when the settings cannot be read or git fails.
  public func reviewData(filter: IncidentFilter) throws(IncidentError) -> ReviewData {
    let tree = try headTree()
    let settings = try settings(in: tree)
    let (all, problems) = try incidents(in: tree)
    let selected = filter.apply(all)
    var actions: [ActionMetric] = []
    var postmortems: [IncidentID: String] = [:]
    var notes = problems.map(\.description)
    if let tree {
      for incident in selected {
        let id = incident.id
        if tree.entry(atPath: RecordPaths.postmortem(id)) != nil {
          postmortems[id] = RecordPaths.postmortem(id)
        }
        guard let entry = tree.entry(atPath: RecordPaths.actions(id)) else { continue }
        do {
          actions += try ActionMetric.decode(try blob(entry.id), file: RecordPaths.actions(id), incident: id)
        } catch let error as FormatError {
          notes.append("action items not read: \(error.description)")
        } catch {
          notes.append("action items not read: \(error)")
        }
      }
    }
    return ReviewData(settings: settings, incidents: selected, actions: actions, postmortems: postmortems, problems: notes)
  }
}
