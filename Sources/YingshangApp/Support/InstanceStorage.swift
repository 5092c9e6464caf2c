import Vapor

extension Application {
    /// The instance's one value under `key`, made on first use. `Application.storage` is not locked: whatever requests
    /// read is first touched in `configure`, before requests run in parallel (the in-flight count, the dispatch cache,
    /// the survey write queue).
    func instanceValue<K: StorageKey>(_ key: K.Type, make: () -> K.Value) -> K.Value {
        if let value = storage[key] { return value }
        let value = make()
        storage[key] = value
        return value
    }
}
