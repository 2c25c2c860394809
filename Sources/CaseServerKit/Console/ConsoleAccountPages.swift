import Foundation
import GatewayCore
import Hummingbird

/// The admins' pages: the accounts (add one, disable one, set a new password) and the audit
/// log. Every change goes to the audit log under the admin's name.
enum ConsoleAccountPages {
    static func add(to group: RouterGroup<CaseServerRequestContext>, console: Console) {
        group.get("/accounts") { request, context in
            guard let session = context.console else { return ConsolePage.redirect("/console/login") }
            guard ConsoleAccess.may(session.user, .administer) else { return ConsolePage.forbidden(session) }
            let done = request.uri.queryParameters["done"].map(String.init)
            // The notice names an account only if it is one: a link cannot put words of its own
            // on an admin's page.
            let who = request.uri.queryParameters["name"].map(String.init) ?? ""
            let known = try await console.directory.account(named: who) != nil
            let notice = (known ? done : nil).flatMap { d in
                [
                    "added": "accounts.added", "disabled": "accounts.disabled_done",
                    "password": "accounts.password_done",
                ][d]
            }.map { session.user.catalog.format($0, ["name": who]) }
            return try await page(session, console: console, notice: notice, error: nil, status: .ok)
        }
        group.post("/accounts") { request, context in
            guard let session = context.console else { return ConsolePage.redirect("/console/login") }
            guard ConsoleAccess.may(session.user, .administer) else { return ConsolePage.forbidden(session) }
            var request = request
            let form = try await ConsoleForm.read(&request)
            let catalog = session.user.catalog
            let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
            let password = form["password"] ?? ""
            let fields = ConsoleAccountFields(
                role: form["role"] ?? "",
                sites: form["sites"] ?? "",
                insurer: form["insurer"] ?? "",
                language: form["language"] ?? "en",
                timeZone: form["time_zone"] ?? "UTC"
            )
            var problem: String?
            do { try ConsolePasswords.check(password) } catch {
                problem = passwordProblem(error, catalog)
            }
            let account: ConsoleAccount?
            do throws(ConsoleAccountFields.Problem) {
                account = try fields.account(name: name, passwordHash: "")
            } catch {
                account = nil
                problem = catalog[error.catalogKey]
            }
            guard var account, problem == nil else {
                return try await page(session, console: console, notice: nil, error: problem, status: .badRequest)
            }
            account.passwordHash = try await ConsolePasswords.hash(password, cost: console.settings.bcryptCost)
            do {
                try await console.directory.addAccount(account, nowNanos: console.clock())
            } catch let e as ConsoleDirectoryError {
                let key = if case .nameTaken = e { "accounts.error_taken" } else { "accounts.error_name" }
                return try await page(session, console: console, notice: nil, error: catalog[key], status: .badRequest)
            }
            try await console.audit(
                actor: session.user.name,
                action: "user-add",
                object: account.name,
                detail: account.auditDetail
            )
            return ConsolePage.redirect("/console/accounts?done=added&name=\(account.name)")
        }
        group.post("/accounts/:name/disable") { _, context in
            guard let session = context.console else { return ConsolePage.redirect("/console/login") }
            guard ConsoleAccess.may(session.user, .administer) else { return ConsolePage.forbidden(session) }
            let name = context.parameters.get("name") ?? ""
            do {
                try await console.directory.disableAccount(name, nowNanos: console.clock())
            } catch is ConsoleDirectoryError {
                return ConsolePage.notFound(session)
            }
            try await console.audit(actor: session.user.name, action: "user-disable", object: name)
            return ConsolePage.redirect("/console/accounts?done=disabled&name=\(name)")
        }
        group.post("/accounts/:name/password") { request, context in
            guard let session = context.console else { return ConsolePage.redirect("/console/login") }
            guard ConsoleAccess.may(session.user, .administer) else { return ConsolePage.forbidden(session) }
            let name = context.parameters.get("name") ?? ""
            var request = request
            let password = try await ConsoleForm.read(&request)["password"] ?? ""
            do { try ConsolePasswords.check(password) } catch {
                let problem = passwordProblem(error, session.user.catalog)
                return try await page(session, console: console, notice: nil, error: problem, status: .badRequest)
            }
            let hash = try await ConsolePasswords.hash(password, cost: console.settings.bcryptCost)
            do {
                try await console.directory.setPasswordHash(hash, for: name, nowNanos: console.clock())
            } catch is ConsoleDirectoryError {
                return ConsolePage.notFound(session)
            }
            try await console.audit(actor: session.user.name, action: "user-passwd", object: name)
            return ConsolePage.redirect("/console/accounts?done=password&name=\(name)")
        }
        group.get("/audit") { request, context in
            guard let session = context.console else { return ConsolePage.redirect("/console/login") }
            guard ConsoleAccess.may(session.user, .administer) else { return ConsolePage.forbidden(session) }
            let before = request.uri.queryParameters["before"].flatMap { Int64($0) }
            let pageSize = 100
            let entries = try await console.directory.auditLog(limit: pageSize, beforeID: before)
            let user = session.user
            let rows: [[String: Any]] = entries.map { e in
                [
                    "at": user.language.dateTime(Date(unixNanos: e.atNanos), timeZone: user.timeZone),
                    "actor": e.actor, "object": e.object,
                    // Actions and reasons are codes; the catalogue names those it knows.
                    "action": user.catalog.strings["audit.actions.\(e.action)"] ?? e.action,
                    "detail": user.catalog.strings["audit.details.\(e.detail)"] ?? e.detail,
                ]
            }
            var values: [String: Any] = ["entries": rows, "empty": rows.isEmpty]
            if entries.count == pageSize, let last = entries.last {
                values["older"] = "/console/audit?before=\(last.id)"
            }
            return ConsolePage.render("audit", values, session: session, page: "audit")
        }
    }

    static func page(
        _ session: ConsoleSession,
        console: Console,
        notice: String?,
        error: String?,
        status: HTTPResponse.Status
    ) async throws -> Response {
        let user = session.user
        let catalog = user.catalog
        let now = console.clock()
        let rows: [[String: Any]] = try await console.directory.accounts().map { a in
            var row: [String: Any] = [
                "name": a.name, "role": catalog["accounts.role_\(a.role.rawValue)"],
                "sites": a.sites.joined(separator: ", "), "insurer": a.insurer ?? "",
                "language": ConsoleCatalogs.catalog(UILanguage(tag: a.language) ?? .english)["common.language_name"],
                "time_zone": a.timeZone, "disabled": a.disabled, "is_self": a.name == user.name,
            ]
            if a.disabled {
                row["state"] = catalog["accounts.disabled"]
            } else if a.isLocked(nowNanos: now), let until = a.lockedUntilNanos {
                row["state"] = catalog.format(
                    "accounts.locked",
                    ["time": user.language.time(Date(unixNanos: until), timeZone: user.timeZone)]
                )
            } else {
                row["state"] = catalog["accounts.active"]
            }
            return row
        }
        var values: [String: Any] = [
            "accounts": rows,
            "roles": ConsoleRole.allCases.map {
                ["id": $0.rawValue, "label": catalog["accounts.role_\($0.rawValue)"]]
            },
            "languages": UILanguage.allCases.map {
                ["id": $0.rawValue, "label": ConsoleCatalogs.catalog($0)["common.language_name"]]
            },
            "insurers": console.policy.insurers.map { ["id": $0.id, "label": $0.name] },
            "password_hint": catalog.format("accounts.password_hint", ["count": "\(ConsolePasswords.minimumLength)"]),
        ]
        if let notice { values["notice"] = notice }
        if let error { values["error"] = error }
        return ConsolePage.render("accounts", values, session: session, page: "accounts", status: status)
    }

    static func passwordProblem(_ error: any Error, _ catalog: MessageCatalog) -> String {
        switch error as? ConsolePasswords.Problem {
        case .tooLong(let n): catalog.format("accounts.error_long", ["count": "\(n)"])
        default: catalog.format("accounts.error_short", ["count": "\(ConsolePasswords.minimumLength)"])
        }
    }
}

extension Date {
    init(unixNanos: Int64) { self.init(timeIntervalSince1970: Double(unixNanos) / 1e9) }
}
