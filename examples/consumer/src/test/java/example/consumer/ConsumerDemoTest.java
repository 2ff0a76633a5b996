package example.consumer;

import io.github.dragganjvm.stylegan.io.BuiltinModels;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The consumer's tour, checked: the MLP learns, the model renders 64 px images, the drag runs and changes the image. */
class ConsumerDemoTest {

    @Test void theLibraryWorksByCoordinates() throws Exception {
        Path out = Files.createDirectories(Path.of(System.getProperty("consumer.out", "target/consumer-out")));
        // consumer.model: builtin, random, or auto (builtin when the stylegan jar ships it, else random, said on stdout)
        String model = System.getProperty("consumer.model", "auto");
        boolean shipped = BuiltinModels.class.getResource(BuiltinModels.resource(BuiltinModels.TOY_FACES_64)) != null;
        boolean random = model.equals("random") || (model.equals("auto") && !shipped);
        if (model.equals("auto") && !shipped) System.out.println("consumer: the built-in model is not in this build's stylegan jar; using a random one");
        ConsumerDemo.Result r = ConsumerDemo.run(out, random, 12);
        System.out.println((random ? "random model: " : "built-in model: ") + r);
        assertEquals("vector", r.backend(), "the surefire argLine adds jdk.incubator.vector; no GPU in CI");
        assertTrue(r.mlpLastLoss() < r.mlpFirstLoss() / 10, "the MLP's loss falls tenfold: " + r.mlpFirstLoss() + " -> " + r.mlpLastLoss());
        assertEquals(64, r.imageWidth());
        assertEquals(64, r.imageHeight());
        assertTrue(r.dragSteps() >= 1, "steps " + r.dragSteps());
        assertTrue(r.imageChanged(), "the drag changed the image");
        for (String f : new String[]{"generated.png", "start.png", "final.png"}) {
            BufferedImage img = ImageIO.read(out.resolve(f).toFile());
            assertEquals(64, img.getWidth(), f);
        }
        assertTrue(Files.size(out.resolve("drag.gif")) > 0);
    }
}
