/// Placeholder replaced by the rendering module's figure types.
public enum RenderVersion { public static let cairo = "cairo" }
