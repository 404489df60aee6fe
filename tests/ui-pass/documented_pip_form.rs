// The documented `pip ["name==version"]` form compiles when the version matches the pin, and
// refers to that very pin.
use image_dsl::image;
use images::pins;

image! {
    image with_pandas {
        name "with-pandas";
        tag "1.0";
        budget 600 MB;
        from debian "bookworm";
        pip ["pandas==2.2.3", "pyarrow"] into "/opt/venv";
        user 185:0;
    }
}

fn main() {
    let image = with_pandas();
    let wheels: Vec<&str> = image.wheels().iter().map(|p| p.name).collect();
    assert!(wheels.contains(&"pandas") && wheels.contains(&"pyarrow"));
    assert!(std::ptr::eq(
        image.wheels().into_iter().find(|p| p.name == "pandas").unwrap(),
        &pins::pip::PANDAS
    ));
}
