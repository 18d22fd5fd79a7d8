// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "git-incident",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "git-incident", targets: ["git-incident"]),
    .library(name: "IncidentKit", targets: ["IncidentKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
  ],
  targets: [
    .systemLibrary(
      name: "CLibgit2",
      pkgConfig: "libgit2",
      providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
    ),
    .target(name: "Git", dependencies: ["CLibgit2"]),
    .target(
      name: "IncidentKit",
      dependencies: ["Git", .product(name: "Yams", package: "Yams")]
    ),
    .target(
      name: "IncidentCLI",
      dependencies: [
        "Git",
        "IncidentKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(name: "git-incident", dependencies: ["IncidentCLI", "Git"]),
    .executableTarget(
      name: "incident-bench", dependencies: ["Git", "IncidentKit"],
      path: "Benchmarks/incident-bench"),
    .testTarget(name: "GitTests", dependencies: ["Git"]),
    .testTarget(name: "IncidentKitTests", dependencies: ["IncidentKit"]),
    .testTarget(name: "IncidentCLITests", dependencies: ["IncidentCLI", "IncidentKit"]),
  ],
  swiftLanguageModes: [.v6]
)
