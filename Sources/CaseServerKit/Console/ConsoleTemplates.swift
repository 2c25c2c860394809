import Foundation
import Mustache

/// The console's Mustache templates, compiled into the binary from Console/Resources
/// (`<name>.mustache`) and parsed once. Pages extend `layout` (`{{<layout}}{{$main}}…{{/main}}
/// {{/layout}}`); every word comes from the catalogue the page is given as `t`, none from a
/// template, so both languages share one template.
public enum ConsoleTemplates {
    /// Every template by name. A new template is added here and in Console/Resources.
    static let sources: [String: [UInt8]] = [
        "layout": PackageResources.layout_mustache,
        "login": PackageResources.login_mustache,
        "message": PackageResources.message_mustache,
        "accounts": PackageResources.accounts_mustache,
        "audit": PackageResources.audit_mustache,
        "cases": PackageResources.cases_mustache,
        "case_row": PackageResources.case_row_mustache,
        "case": PackageResources.case_mustache,
        "terminals": PackageResources.terminals_mustache,
        "guidance": PackageResources.guidance_mustache,
        // Helper B's partial (questions to the person on site) replaces this empty one.
        "case_messages": PackageResources.case_messages_mustache,
    ]

    /// The parsed templates; a template that does not parse stops the process at its first use,
    /// which the console tests make sure never reaches a release.
    public static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, bytes) in sources {
            do {
                try library.register(String(decoding: bytes, as: UTF8.self), named: name)
            } catch {
                fatalError("\(name).mustache: \(error)")
            }
        }
        return library
    }()

    /// Renders template `name` with `values`, and the user's catalogue as `t`. Mustache escapes
    /// every `{{value}}` as HTML, so what terminals and people typed cannot become markup.
    public static func render(_ name: String, _ values: [String: Any], user: ConsoleUser?) -> String {
        var object = values
        let catalog = user?.catalog ?? ConsoleCatalogs.catalog(.english)
        object["t"] = catalog.nested
        object["lang"] = catalog.language.rawValue
        guard let html = library.render(object, withTemplate: name) else {
            fatalError("no console template named \(name)")
        }
        return html
    }
}
