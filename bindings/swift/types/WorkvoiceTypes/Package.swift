// swift-tools-version: 5.8
import PackageDescription

let package = Package(
    name: "WorkvoiceTypes",
    products: [
        .library(
            name: "WorkvoiceTypes",
            targets: ["WorkvoiceTypes"]
        )
    ],
    targets: [
        .target(
            name: "Serde",
            dependencies: []
        ),
        .target(
            name: "WorkvoiceTypes",
            dependencies: ["Serde"]
        ),
    ]
)
