/// The version `cnnb --version` prints.
public enum CNNBVersion { public static let string = "0.1.0" }
