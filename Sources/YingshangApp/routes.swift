import Vapor

/// Every route of the app. Guarded routes name the action they need from `Permissions.table`.
func routes(_ app: Application) throws {
    OperationsController().register(app)

    let web = app.grouped(SessionUserAuthenticator())
    let webGuarded = Guarded(builder: web, api: false)
    AuthWebController().register(web, guarded: webGuarded)
    HomeController().register(webGuarded)
    RegionsWebController().register(webGuarded)
    UnitsWebController().register(webGuarded)
    UsersWebController().register(webGuarded)
    AuditWebController().register(webGuarded)
    CatalogWebController().register(webGuarded)
    CampaignsWebController().register(webGuarded)
    MatrixWebController().register(webGuarded)
    ScheduleWebController().register(webGuarded)
    TasksWebController().register(webGuarded)
    DispatchWebController().register(webGuarded)
    CalendarWebController().register(webGuarded)
    FilingsWebController().register(webGuarded)
    FilingBulkController().register(webGuarded)
    QuestionsWebController().register(webGuarded)

    let api = app.grouped("api", "v1").grouped(BearerUserAuthenticator())
    let apiGuarded = Guarded(builder: api, api: true)
    TaskAttachmentController().register(web: webGuarded, api: apiGuarded)
    RegisterWebController().register(webGuarded, api: apiGuarded)
    SurveyWebController().register(webGuarded, web: web, api: apiGuarded)
    AuthAPIController().register(api, guarded: apiGuarded)
    OrganizationAPIController().register(apiGuarded)
    AuditAPIController().register(apiGuarded)
    CatalogAPIController().register(apiGuarded)
    CampaignsAPIController().register(apiGuarded)
    DispatchAPIController().register(apiGuarded)
    FilingsAPIController().register(apiGuarded)
    QuestionsAPIController().register(apiGuarded)
}
