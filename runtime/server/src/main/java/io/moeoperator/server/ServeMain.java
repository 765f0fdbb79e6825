package io.moeoperator.server;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * {@code moe serve}: reads the command line into configuration, then runs the server until it is
 * stopped. Flags become system properties, which outrank environment variables and
 * application.properties, so a flag always wins and everything still arrives through the one
 * {@code @ConfigMapping}.
 */
@QuarkusMain
public final class ServeMain {
    private ServeMain() {}

    public static void main(String... args) {
        // Expert-parallel peers are StatefulSet pods whose IPs change when they restart: look their
        // names up again after 5 s rather than the JVM's default 30 s. Set before any lookup is cached.
        java.security.Security.setProperty("networkaddress.cache.ttl", "5");
        ServeArguments parsed;
        try {
            parsed = ServeArguments.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n\n" + ServeArguments.usage());
            System.exit(2);
            return;
        }
        if (parsed.help()) {
            System.out.print(ServeArguments.usage());
            return;
        }
        parsed.config().forEach(System::setProperty);
        Quarkus.run();
    }
}
