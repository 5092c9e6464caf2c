/// Who reads a 答疑 thread. Unit-scoped roles read their unit's threads and the public FAQ; an account bound to
/// regions (issue 21) reads only threads asked by units in those regions — public ones included, so a county's office
/// never reads a neighbour's questions — and a unit of no region belongs to the whole deployment. An account bound
/// to no region reads every thread, as a single county's deployment always has.
public enum QuestionAccess {
    public static func canRead(
        role: Role, ownUnit: String, scope: RegionScope, askingUnit: String, askingUnitRegion: String?, isPublic: Bool
    ) -> Bool {
        if role.isUnitScoped && askingUnit == ownUnit { return true }
        if role.isUnitScoped && !isPublic { return false }
        return scope.covers(askingUnitRegion)
    }
}
